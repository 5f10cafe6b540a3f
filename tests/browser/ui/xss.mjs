// Data that looks like markup renders as its characters everywhere: lists, card, search,
// timeline. Nothing runs (no dialog), nothing becomes an element.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot, check, results }) {
  const evil = config.title;
  await signIn(page, config);
  await open(page, config, "/leads", "Leads");
  await page.getByRole("link", { name: evil, exact: true }).waitFor();
  await page.getByRole("link", { name: evil, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: evil, exact: true }).waitFor();
  await page.getByLabel("Comment").fill(evil);
  await page.getByRole("button", { name: "Add comment" }).click();
  await page.getByRole("listitem").filter({ hasText: evil }).first().waitFor();
  const search = page.getByRole("combobox", { name: "Search leads, contacts, companies and deals" });
  await search.fill("onerror");
  await page.getByRole("option", { name: evil, exact: true }).waitFor();
  await open(page, config, "/", /^Hello/);
  await page.getByRole("link", { name: evil, exact: true }).waitFor();
  await page.waitForTimeout(300);
  results.images = await page.evaluate(() => document.images.length);
  check(results.images === 0, "no <img> was made from data");
  await shot("xss");
}
