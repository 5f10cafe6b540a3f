// Converting a lead onto an existing contact found by name, with a new company and a deal.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, results }) {
  await signIn(page, config);
  await open(page, config, `/leads/${config.lead_id}`, config.title);
  await page.getByRole("button", { name: "Convert", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: `Convert ${config.title}` });
  const contact = dialog.getByRole("group", { name: "Contact" });
  await contact.getByLabel("Existing").check();
  await contact.getByRole("searchbox", { name: "Find the contact" }).fill(config.contact_word);
  const matches = contact.getByRole("listbox", { name: "Matches for Find the contact" });
  await matches.getByRole("option", { name: config.contact }).waitFor();
  await matches.selectOption({ label: config.contact });
  await dialog.getByRole("button", { name: "Convert", exact: true }).click();
  await page.waitForURL(/\/deals\/\d+$/);
  await page.getByRole("heading", { level: 1, name: config.title }).waitFor();
  results.deal_id = Number(new URL(page.url()).pathname.split("/").pop());
}
