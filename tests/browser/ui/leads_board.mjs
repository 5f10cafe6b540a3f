// The leads board in Russian: columns are the lead statuses named in Russian; a lead is dragged
// to the next status and moved on with Shift+Right; the counts follow and the server agrees.
import { eventually, messages, signIn } from "./lib.mjs";

export default async function ({ page, config, check, shot, api, results }) {
  const t = messages("ru");
  await signIn(page, { ...config, lang: "ru" });
  await page.goto(`${config.base}/leads/board`);
  await page.getByRole("heading", { level: 1, name: t("board.leads") }).waitFor();
  const statuses = (await api("GET", "/api/dictionaries/lead-statuses")).body.items;
  const [first, second, third] = statuses.map((s) => s.name.ru);
  const col = (name) => page.locator("section.board-col").filter({ has: page.getByRole("heading", { level: 2, name, exact: true }) });
  const card = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: config.title }) });
  await col(first).getByRole("link", { name: config.title }).waitFor();
  check((await col(first).innerText()).includes(t("board.count", { count: 2 })), "the first column counts two leads");
  await shot("leads-board-ru");

  await card.dragTo(col(second).getByRole("list"));
  await col(second).getByRole("link", { name: config.title }).waitFor();
  await page.getByRole("status").filter({ hasText: t("board.moved", { title: config.title, stage: second }) }).waitFor();
  await eventually(async () => (await col(first).innerText()).includes(t("board.count", { count: 1 })), "the first column counts one lead");
  results.after_drag = (await api("GET", `/api/leads/${config.id}`)).body.status;

  await page.getByRole("button", { name: t("board.move_label", { title: config.title }) }).focus();
  await page.keyboard.press("Shift+ArrowRight");
  await col(third).getByRole("link", { name: config.title }).waitFor();
  await eventually(async () => (await api("GET", `/api/leads/${config.id}`)).body.status === statuses[2].code, "the arrow move is stored");
  results.after_keys = statuses[2].code;
  await shot("leads-board-ru-moved");
}
