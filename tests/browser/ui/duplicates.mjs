// A contact created with a phone an existing contact has: the card offers the older one as a
// duplicate, and merging lands on it.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot, results }) {
  await signIn(page, config);
  await open(page, config, "/contacts/new", "New contact");
  await page.getByLabel("First name").fill("Ivan");
  await page.getByLabel("Last name").fill("Petrov-New");
  await page.getByLabel("Phones").fill(config.phone);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  const notice = page.getByRole("region", { name: "Possible duplicates" });
  await notice.getByRole("link", { name: config.existing }).waitFor();
  await shot("contact-duplicates");
  results.new_url = page.url();
  await notice.getByRole("button", { name: `Merge this record into ${config.existing}` }).click();
  await page.getByRole("heading", { level: 1, name: config.existing }).waitFor();
  await page.getByText("Merged.").waitFor();
}
