// A deal's company is chosen by name (the search picker, not an id); the company's card then
// lists the deal among its related records.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot }) {
  await signIn(page, config);
  await open(page, config, `/deals/${config.deal_id}`, config.title);
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByRole("searchbox", { name: "Company" }).fill(config.company_word);
  const matches = page.getByRole("listbox", { name: "Matches for Company" });
  await matches.getByRole("option", { name: config.company }).waitFor();
  await matches.selectOption({ label: config.company });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("definition").filter({ hasText: config.company }).waitFor();
  await page.getByRole("definition").getByRole("link", { name: config.company }).click();
  await page.getByRole("heading", { level: 1, name: config.company }).waitFor();
  await page.getByRole("region", { name: "Deals" }).getByRole("link", { name: config.title }).waitFor();
  await shot("company-related");
}
