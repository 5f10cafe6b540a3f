// Steps the reports scenarios share.

/** A name from the API as the English UI shows it (`{en, ru}` or a string). */
export const english = (name) => (name && typeof name === "object" ? name.en || Object.values(name)[0] : name);

/** The saved report with system `code`, from `GET /api/reports` (as the scenario's token sees it). */
export async function reportByCode(api, code, language = "en") {
  const list = await api("GET", "/api/reports", undefined, { "accept-language": language });
  const report = list.body.items.find((r) => r.code === code);
  if (!report) throw new Error(`no report ${code}: ${JSON.stringify(list.body.items.map((r) => r.code))}`);
  return report;
}

/** The page is no wider than its window (nothing scrolls sideways). */
export async function noSideways(page, check, where) {
  const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  check(sizes.scroll <= sizes.width, `${where}: page is ${sizes.scroll}px wide in a ${sizes.width}px window`);
}

/** The texts of the report table's cells: {head: [...], rows: [[...]], total: [...]}. */
export async function tableOf(scope) {
  const table = scope.getByRole("table");
  await table.waitFor();
  return table.evaluate((t) => ({
    head: [...t.tHead.rows[0].cells].map((c) => c.textContent.trim()),
    rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent.trim())),
    total: t.tFoot ? [...t.tFoot.rows[0].cells].map((c) => c.textContent.trim()) : null,
  }));
}
