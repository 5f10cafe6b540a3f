// Export on a filtered, sorted contacts list: the menu's CSV link downloads exactly the rows
// the list shows (the filter and sort from the URL, the title fields and the columns), with a
// BOM and Cyrillic intact; the Excel link downloads a workbook; "CSV for Excel (;)" uses `;`.
import { signIn, rowTitles, eventually } from "./lib.mjs";

/** The bytes of a download the click on `link` starts. */
async function downloaded(page, link) {
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  return new Promise((resolve, reject) => {
    download.createReadStream().then((stream) => {
      const chunks = [];
      stream.on("data", (c) => chunks.push(c));
      stream.on("end", () => resolve({ name: download.suggestedFilename(), bytes: Buffer.concat(chunks) }));
      stream.on("error", reject);
    }, reject);
  });
}

export default async function ({ page, config, shot, check, results }) {
  await signIn(page, config);
  await page.goto(`${config.base}/contacts`);
  await page.getByRole("heading", { level: 1, name: "Contacts" }).waitFor();
  await page.getByText("Filters", { exact: true }).click();
  await page.getByLabel("Filter 1: field").selectOption({ label: "Last name" });
  await page.getByLabel("Filter 1: condition").selectOption({ label: "contains" });
  await page.getByLabel("Filter 1: value").fill(config.filter);
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.getByRole("status").filter({ hasText: new RegExp(`^${config.expected.length} records$`) }).waitFor();
  await page.getByRole("button", { name: "First name" }).click();
  await eventually(() => new URL(page.url()).searchParams.get("sort") === "first_name", "sorted by first name");
  const shown = await eventually(async () => {
    const titles = await rowTitles(page);
    return titles.length === config.expected.length ? titles : null;
  }, "the filtered rows");
  results.shown = shown;

  await page.getByText("Export", { exact: true }).click();
  await shot("list-export-menu");
  const csv = await downloaded(page, page.getByRole("link", { name: "CSV", exact: true }));
  results.csv_name = csv.name;
  const text = csv.bytes.toString("utf8");
  check(text.startsWith("\uFEFF"), "the CSV starts with a BOM");
  const lines = text.replace(/^\uFEFF/, "").trimEnd().split("\r\n");
  results.csv_header = lines[0];
  results.csv_rows = lines.slice(1);

  const semicolon = await downloaded(page, page.getByRole("link", { name: "CSV for Excel (;)" }));
  results.semicolon_header = semicolon.bytes.toString("utf8").replace(/^\uFEFF/, "").split("\r\n")[0];

  const excel = await downloaded(page, page.getByRole("link", { name: "Excel (.xlsx)" }));
  check(excel.bytes.subarray(0, 2).toString("latin1") === "PK", "the Excel file is a zip");
  results.xlsx_name = excel.name;

  const vcard = await downloaded(page, page.getByRole("link", { name: "vCard (.vcf)" }));
  results.vcards = (vcard.bytes.toString("utf8").match(/BEGIN:VCARD/g) || []).length;
}
