// The owner opens a standard report from the list, changes its period (the rows go and come
// back), sees the chart and the table, and downloads it as Excel and CSV.
import { signIn, open, eventually, rowTitles } from "./lib.mjs";
import { english, reportByCode, tableOf } from "./reports_lib.mjs";

export default async function ({ page, config, check, shot, api, results }) {
  await signIn(page, config);
  const report = await reportByCode(api, config.code);
  await open(page, config, "/reports", "Reports");
  await page.getByRole("link", { name: english(report.name), exact: true }).click();
  await page.getByRole("heading", { level: 1, name: english(report.name) }).waitFor();
  const chart = page.getByRole("img", { name: new RegExp(`^${english(report.name)}:`) });
  await chart.waitFor();
  const bars = await chart.evaluate((svg) => svg.querySelectorAll("rect, circle").length);
  check(bars > 0, "the chart draws the rows");
  const before = await tableOf(page);
  results.before = before;
  check(before.rows.length > 0, "the report has rows");
  await shot("reports-standard");

  // A year long ago: nothing; then this year again.
  await page.getByLabel("From").fill("2001-01-01");
  await page.getByLabel("To").fill("2001-12-31");
  await page.getByRole("button", { name: "Show" }).click();
  await page.getByText("No records match.").waitFor();
  check(page.url().includes("from=2001-01-01") && page.url().includes("to=2001-12-31"), `the period is in the address: ${page.url()}`);
  await page.getByRole("button", { name: "This year" }).click();
  await eventually(async () => (await page.getByRole("table").count()) > 0, "the rows come back");
  const after = await tableOf(page);
  check(JSON.stringify(after.rows) === JSON.stringify(before.rows), `this year's rows: ${JSON.stringify(after.rows)}`);

  // Downloads, with the session cookie: CSV, then Excel.
  const csv = await page.request.get(config.base + (await page.getByRole("link", { name: "CSV" }).getAttribute("href")));
  const text = await csv.text();
  results.csv = { status: csv.status(), type: csv.headers()["content-type"], first: text.split("\n")[0] };
  check(csv.status() === 200 && csv.headers()["content-type"].includes("text/csv"), `csv: ${csv.status()} ${csv.headers()["content-type"]}`);
  check(text.startsWith(`\uFEFF${before.head[0]}`), `the CSV (with a BOM) starts with ${before.head[0]}: ${text.slice(0, 80)}`);
  const excel = page.getByRole("link", { name: "Excel" });
  const xlsx = await page.request.get(config.base + (await excel.getAttribute("href")));
  results.xlsx = { status: xlsx.status(), type: xlsx.headers()["content-type"] };
  check(xlsx.status() === 200, `xlsx status ${xlsx.status()}: ${await xlsx.text()}`);
  check(xlsx.headers()["content-type"].includes("spreadsheetml"), `xlsx type ${xlsx.headers()["content-type"]}`);
  // The link itself downloads (the browser, not the app's router, follows it).
  const [download] = await Promise.all([page.waitForEvent("download"), excel.click()]);
  const bytes = await new Promise((resolve, reject) => {
    download.createReadStream().then((stream) => {
      const chunks = [];
      stream.on("data", (c) => chunks.push(c));
      stream.on("end", () => resolve(Buffer.concat(chunks)));
      stream.on("error", reject);
    }, reject);
  });
  check(bytes.subarray(0, 2).toString("latin1") === "PK", "the Excel file is a zip (xlsx)");
  results.xlsx.size = bytes.length;

  // A group cell drills down to the list of exactly the records behind its row.
  const count = Number(before.rows[0][before.head.indexOf("Count")]);
  await page.getByRole("table").getByRole("link", { name: before.rows[0][0], exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Deals", exact: true }).waitFor();
  const titles = await eventually(async () => ((await rowTitles(page)).length ? rowTitles(page) : null), "the deals list");
  results.drilled = titles;
  check(titles.length === count, `the drill-down lists ${titles.length} deals, the row counts ${count}`);
}
