// Two leads picked in the list are handed to another user in one bulk action.
import { signIn, eventually } from "./lib.mjs";

export default async function ({ page, config, shot, check }) {
  await signIn(page, config);
  await page.goto(`${config.base}/leads`);
  await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
  const bulk = page.getByRole("region", { name: "Bulk actions" });
  check(!(await bulk.isVisible()), "no bulk actions before a selection");
  for (const title of config.pick) await page.getByRole("checkbox", { name: `Select ${title}` }).check();
  await bulk.getByText("2 selected").waitFor();
  await bulk.getByLabel("Assign to").selectOption({ label: config.assignee });
  await shot("list-bulk");
  await bulk.getByRole("button", { name: "Assign" }).click();
  await page.getByText("2 records assigned").first().waitFor();
  // The list now shows the new responsible on the picked rows.
  await eventually(async () => (await page.getByRole("cell", { name: config.assignee, exact: true }).count()) === 2, "two rows show the assignee");
}
