// A manager opens the same standard report as the owner: it covers only the manager's deals.
import { signIn, open } from "./lib.mjs";
import { tableOf } from "./reports_lib.mjs";

export default async function ({ page, config, check, shot, results }) {
  await signIn(page, config);
  await open(page, config, "/reports", "Reports");
  await page.getByRole("link", { name: config.report_name, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: config.report_name }).waitFor();
  const table = await tableOf(page);
  results.table = table;
  const count = table.head.indexOf(config.count_label);
  check(count >= 0, `a ${config.count_label} column: ${table.head}`);
  results.total = table.total ? table.total[count] : null;
  check(!table.rows.some((r) => r.includes(config.hidden_name)), `no row of ${config.hidden_name}`);
  check(!(await page.getByRole("link", { name: "Edit" }).count()), "a standard report is not the manager's to edit");
  await shot("reports-manager");
}
