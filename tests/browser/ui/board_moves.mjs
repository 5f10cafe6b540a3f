// A deal moves across the deals board by mouse (native drag and drop) and by keyboard (its Move
// button, a dialog of stages, or Shift+Right); the counts follow and the server agrees.
import { signIn, open, eventually } from "./lib.mjs";

export default async function ({ page, config, check, shot, api, results }) {
  await signIn(page, config);
  await open(page, config, "/deals/board", "Deals board");
  const col = (name) => page.locator("section.board-col").filter({ has: page.getByRole("heading", { level: 2, name, exact: true }) });
  const card = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: config.title }) });
  await col(config.first).getByRole("link", { name: config.title }).waitFor();
  await shot("deals-board");

  // By mouse: drag the card onto the second column.
  await card.dragTo(col(config.second).getByRole("list"));
  await col(config.second).getByRole("link", { name: config.title }).waitFor();
  await page.getByRole("status").filter({ hasText: `moved to ${config.second}` }).waitFor();
  const afterDrag = await api("GET", `/api/deals/${config.id}`);
  check(afterDrag.body.stage === config.second_code, `dragged: ${afterDrag.body.stage}`);
  results.after_drag = afterDrag.body.stage;

  // By keyboard: focus Move, Enter, pick the third stage with Tab and Enter.
  await page.getByRole("button", { name: `Move ${config.title}` }).focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: `Move ${config.title} to` });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: config.third, exact: true }).focus();
  await page.keyboard.press("Enter");
  await col(config.third).getByRole("link", { name: config.title }).waitFor();
  await eventually(async () => (await api("GET", `/api/deals/${config.id}`)).body.stage === config.third_code, "the keyboard move is stored");
  await eventually(async () => (await col(config.third).innerText()).includes("1 record"), "the third column counts the deal");
  results.after_dialog = config.third_code;

  // Shift+Right on the focused card: the next column.
  await page.getByRole("button", { name: `Move ${config.title}` }).focus();
  await page.keyboard.press("Shift+ArrowRight");
  await col(config.fourth).getByRole("link", { name: config.title }).waitFor();
  await eventually(async () => (await api("GET", `/api/deals/${config.id}`)).body.stage === config.fourth_code, "the arrow move is stored");
  await shot("deals-board-moved");
}
