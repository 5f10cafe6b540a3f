// A manager may not move a deal into WON (the default role's stage rule): the board shows the
// server's reason and the card stays in its column.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, check, shot, results }) {
  await signIn(page, config);
  await open(page, config, "/deals/board", "Deals board");
  const col = (name) => page.locator("section.board-col").filter({ has: page.getByRole("heading", { level: 2, name, exact: true }) });
  await col(config.first).getByRole("link", { name: config.title }).waitFor();

  await page.getByRole("button", { name: `Move ${config.title}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: config.won, exact: true }).click();
  const alert = page.getByRole("alert").filter({ hasText: `${config.title} was not moved` });
  await alert.waitFor();
  results.reason = await alert.innerText();
  await col(config.first).getByRole("link", { name: config.title }).waitFor();
  check(!(await col(config.won).getByRole("link", { name: config.title }).count()), "the card went back");
  await shot("deals-board-refused");
}
