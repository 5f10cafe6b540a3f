// The lead's Convert action: a new contact, no company, a new deal; the UI lands on the deal.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot, results }) {
  await signIn(page, config);
  await open(page, config, `/leads/${config.lead_id}`, config.title);
  await page.getByRole("button", { name: "Convert", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: `Convert ${config.title}` });
  await dialog.waitFor();
  await dialog.getByRole("group", { name: "Company" }).getByLabel("None").check();
  await shot("lead-convert");
  await dialog.getByRole("button", { name: "Convert", exact: true }).click();
  await page.waitForURL(/\/deals\/\d+$/);
  await page.getByRole("heading", { level: 1, name: config.title }).waitFor();
  await page.getByText("The lead was converted.").waitFor();
  results.deal_id = Number(new URL(page.url()).pathname.split("/").pop());
}
