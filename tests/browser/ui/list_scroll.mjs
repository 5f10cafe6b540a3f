// A long list loads its next page when the reader scrolls near its end (the API's cursor), and
// the count line says how many there are.
import { signIn, open, rowTitles, eventually } from "./lib.mjs";

export default async function ({ page, config, check, shot, results }) {
  await signIn(page, config);
  await open(page, config, "/leads", "Leads");
  await page.getByText(`${config.total} records`).waitFor();
  const before = (await rowTitles(page)).length;
  check(before === 50, `one page of 50 at first, got ${before}`);
  await page.mouse.wheel(0, 100000);
  await eventually(async () => (await rowTitles(page)).length === config.total, "scrolling loaded the rest");
  results.rows = (await rowTitles(page)).length;
  check(!(await page.getByRole("button", { name: "Load more" }).isVisible()), "nothing more to load");
  await shot("leads-scrolled");
}
