// A manager's deals board holds their own deals and not another manager's, also on a phone
// (360 px), where the board scrolls sideways by column and the page itself does not.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, check, shot }) {
  await signIn(page, config);
  await open(page, config, "/deals/board", "Deals board");
  await page.getByRole("link", { name: config.mine }).waitFor();
  check(!(await page.getByText(config.theirs).count()), "the other manager's deal is not on my board");
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!sideways, "the page does not scroll sideways");
  await shot("narrow-board");
}
