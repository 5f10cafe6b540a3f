// Line items on a deal: a catalog product from the picker and a free-text line; the totals and
// the deal's amount come from the server's answer.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot, results }) {
  await signIn(page, config);
  await open(page, config, `/deals/${config.deal_id}`, config.title);
  const items = page.getByRole("region", { name: "Products" });
  await items.getByText("No products yet.").waitFor();
  await items.getByLabel("Find a product").fill(config.product_word);
  await items.getByRole("button", { name: `Add ${config.product}` }).click();
  await items.getByRole("textbox", { name: "Quantity" }).first().fill("3");
  await items.getByRole("button", { name: "Add a line" }).click();
  await items.getByRole("textbox", { name: "Name" }).last().fill("Installation");
  await items.getByRole("textbox", { name: "Price" }).last().fill("500.00");
  await items.getByRole("button", { name: "Save products" }).click();
  await items.getByRole("status").filter({ hasText: config.total_text }).waitFor();
  // The card's amount follows the server.
  await page.locator("dl.fields").getByText(config.total_text).waitFor();
  await shot("deal-card-items");
  results.total = await items.getByRole("status").innerText();
}
