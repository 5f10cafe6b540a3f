// At 375 px, in Russian (the longer words), the reports screens do not scroll sideways: the
// table scrolls inside its region and the chart shrinks to the width.
import { signIn, open, messages } from "./lib.mjs";
import { reportByCode, noSideways } from "./reports_lib.mjs";

export default async function ({ page, config, check, shot, api, results }) {
  await signIn(page, config);
  await page.getByRole("combobox", { name: "Language" }).selectOption("ru");
  await page.waitForFunction(() => document.documentElement.lang === "ru");
  const t = messages("ru");
  await page.getByRole("list", { name: t("home.funnel") }).waitFor();
  await noSideways(page, check, "start with the funnel");
  await open(page, config, "/reports", t("reports.title"));
  await noSideways(page, check, "reports");
  // The UI asks for names in its language: the system reports come in Russian.
  const report = await reportByCode(api, config.code, "ru");
  await open(page, config, `/reports/${report.id}`, report.name);
  const chart = page.getByRole("img").first();
  await chart.waitFor();
  await noSideways(page, check, "a report");
  const box = await chart.boundingBox();
  check(box.width <= 375, `the chart fits: ${box.width}`);
  const region = page.getByRole("region", { name: t("reports.table") });
  results.table = await region.evaluate((r) => ({ scroll: r.scrollWidth, width: r.clientWidth, overflow: getComputedStyle(r).overflowX }));
  check(results.table.overflow === "auto", "the table scrolls in its region");
  await shot("reports-narrow-report");
  for (const [path, code] of [["/reports/funnel", "funnel"], ["/reports/leads-funnel", "leads_funnel"]]) {
    const funnel = await reportByCode(api, code, "ru");
    await open(page, config, path, funnel.name);
    await page.getByRole("list").filter({ has: page.getByRole("listitem") }).last().waitFor();
    await noSideways(page, check, path);
  }
  await shot("reports-narrow-leads-funnel");
  await open(page, config, "/reports/new", t("reports.new"));
  await page.getByRole("region", { name: t("reports.preview") }).getByRole("table").waitFor();
  await noSideways(page, check, "designer");
  await shot("reports-narrow-designer");
}
