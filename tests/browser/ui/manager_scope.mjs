// A manager sees their own leads and not another manager's: in the list, in the global search
// and on the start page. What the role cannot do is not offered (no settings link).
import { signIn, rowTitles, open } from "./lib.mjs";

export default async function ({ page, config, check, shot }) {
  await signIn(page, config);
  await page.getByRole("heading", { level: 1, name: /^Hello/ }).waitFor();
  await page.getByRole("link", { name: config.mine }).waitFor();
  check(!(await page.getByText(config.theirs).count()), "the start page hides the other manager's lead");
  const nav = page.getByRole("navigation", { name: "Main" });
  check(!(await nav.getByRole("link", { name: "Settings" }).count()), "no settings link for a manager");
  await shot("manager-start");

  await open(page, config, "/leads", "Leads");
  const titles = await rowTitles(page);
  check(JSON.stringify(titles) === JSON.stringify([config.mine]), `only my lead in the list: ${titles}`);

  const search = page.getByRole("combobox", { name: "Search leads, contacts, companies and deals" });
  await search.fill(config.theirs_word);
  await page.getByText("Nothing found").waitFor();
  await search.fill(config.shared_word);
  await page.getByRole("option", { name: config.mine }).waitFor();
  check(!(await page.getByRole("option", { name: config.theirs }).count()), "search hides the other manager's lead");

  // The other manager's lead by its address: not found, said as such (not a blank page).
  await page.goto(`${config.base}/leads/${config.theirs_id}`);
  await page.getByRole("alert").filter({ hasText: "Not found" }).waitFor();
  // Products are read-only for managers: no "New product".
  await open(page, config, "/products", "Products");
  check(!(await page.getByRole("link", { name: "New product" }).count()), "no New product for a manager");
}
