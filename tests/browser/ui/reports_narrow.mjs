// At 375 px the reports screens do not scroll sideways: the table scrolls inside its region and
// the chart shrinks to the width.
import { signIn, open } from "./lib.mjs";
import { reportByCode, noSideways } from "./reports_lib.mjs";

export default async function ({ page, config, check, shot, api, results }) {
  await signIn(page, config);
  await noSideways(page, check, "start with the funnel");
  await open(page, config, "/reports", "Reports");
  await noSideways(page, check, "reports");
  const report = await reportByCode(api, config.code);
  await page.goto(`${config.base}/reports/${report.id}`);
  const chart = page.getByRole("img").first();
  await chart.waitFor();
  await noSideways(page, check, "a report");
  const box = await chart.boundingBox();
  check(box.width <= 375, `the chart fits: ${box.width}`);
  const region = page.getByRole("region", { name: "Report table" });
  results.table = await region.evaluate((r) => ({ scroll: r.scrollWidth, width: r.clientWidth, overflow: getComputedStyle(r).overflowX }));
  check(results.table.overflow === "auto", "the table scrolls in its region");
  await shot("reports-narrow-report");
  await open(page, config, "/reports/funnel", "Sales funnel");
  await noSideways(page, check, "funnel");
  await open(page, config, "/reports/leads-funnel", "Leads funnel");
  await page.getByRole("list", { name: "Leads funnel" }).getByRole("listitem").first().waitFor();
  await noSideways(page, check, "leads funnel");
  await open(page, config, "/reports/new", "New report");
  await page.getByRole("region", { name: "Preview" }).getByRole("table").waitFor();
  await noSideways(page, check, "designer");
  await shot("reports-narrow-designer");
}
