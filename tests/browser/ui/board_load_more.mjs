// A column with more deals than the board shows continues with "Load more" (the column's cursor
// through the ordinary list filtered by stage).
import { signIn, open, eventually } from "./lib.mjs";

export default async function ({ page, config, check }) {
  await signIn(page, config);
  await open(page, config, "/deals/board", "Deals board");
  const col = page.locator("section.board-col").filter({ has: page.getByRole("heading", { level: 2, name: config.first, exact: true }) });
  await col.getByText(`${config.total} records`).waitFor();
  const cards = col.getByRole("listitem");
  await eventually(async () => (await cards.count()) === config.per_column, "the first page of cards");
  await col.getByRole("button", { name: "Load more" }).click();
  await eventually(async () => (await cards.count()) === config.total, "every card after Load more");
  check(!(await col.getByRole("button", { name: "Load more" }).isVisible()), "no more to load");
}
