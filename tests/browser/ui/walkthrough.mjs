// The whole way a new firm goes, in one language and at one window width: first run (create the
// administrator), a lead typed in, a product line on it, Convert (landing on the new deal), the
// deals board, and the deal moved into the won stage with the keyboard. Every label comes from
// the app's own catalogs (`static/i18n/<lang>.js`) and field, stage and option names from the
// API in that language, so the same steps run in English and Russian.
import { eventually, messages } from "./lib.mjs";

export default async function ({ page, config, shot, check, api, results }) {
  const lang = config.lang;
  const t = messages(lang);
  const name = (value) => (typeof value === "string" ? value : value[lang] || value.en);
  const snap = (step) => shot(`walkthrough-${lang}-${config.width}-${step}`);
  const heading = (text) => page.getByRole("heading", { level: 1, name: text, exact: true });
  const mainNav = page.getByRole("navigation", { name: t("nav.label") });

  // First run: the browser's language is chosen, and the administrator is created.
  await page.goto(config.base);
  await heading(t("setup.title")).waitFor();
  check((await page.locator("html").getAttribute("lang")) === lang, `the page is in ${lang}`);
  await page.getByLabel(t("setup.name")).fill(config.name);
  await page.getByLabel(t("login.email")).fill(config.email);
  await page.getByLabel(t("login.password")).fill(config.password);
  await page.getByRole("button", { name: t("setup.submit") }).click();
  await page.getByText(t("setup.done")).waitFor();
  config.token = (await page.getByText(/^crm_\d+_/).innerText()).trim();
  await page.getByRole("button", { name: t("setup.continue") }).click();
  await heading(t("home.title", { name: config.name })).waitFor();
  await snap("start");

  // A product in the catalog (through the API: the products screen is the same list and card as the leads one).
  const product = await api("POST", "/api/products", { name: config.product, price: "250.00", currency: "RUB" });
  check(product.status === 201, `product created: ${product.status}`);

  // A lead, typed in through the leads list's New button.
  const fields = (await api("GET", "/api/leads/fields")).body.fields;
  const label = (field) => name(fields.find((f) => f.name === field).label);
  await mainNav.getByRole("link", { name: t("nav.leads"), exact: true }).click();
  await heading(t("nav.leads")).waitFor();
  await page.getByRole("link", { name: t("new.leads"), exact: true }).click();
  await heading(t("new.leads")).waitFor();
  await page.getByLabel(label("title"), { exact: true }).fill(config.title);
  await page.getByLabel(label("first_name"), { exact: true }).fill(config.first_name);
  await page.getByLabel(label("last_name"), { exact: true }).fill(config.last_name);
  await page.getByRole("button", { name: t("save"), exact: true }).click();
  await heading(config.title).waitFor();
  results.lead_id = Number(new URL(page.url()).pathname.split("/").pop());

  // Four of the product on the lead; the server totals them.
  const items = page.getByRole("region", { name: t("items.title") });
  await items.getByText(t("items.none")).waitFor();
  await items.getByLabel(t("items.find")).fill(config.product.slice(0, 5));
  await items.getByRole("button", { name: t("items.add_product", { name: config.product }) }).click();
  await items.getByRole("textbox", { name: t("items.quantity") }).first().fill("4");
  await items.getByRole("button", { name: t("items.save") }).click();
  await page.getByText(t("items.saved")).first().waitFor();
  await eventually(async () => (await api("GET", `/api/leads/${results.lead_id}`)).body.amount === "1000.00", "the lead's amount is 4 × 250");
  await snap("lead");

  // Convert: a new contact, no company, a new deal; the app lands on the deal.
  await page.getByRole("button", { name: t("convert.action"), exact: true }).click();
  const convert = page.getByRole("dialog", { name: t("convert.title", { title: config.title }) });
  await convert.waitFor();
  await convert.getByRole("group", { name: t("entity.company") }).getByLabel(t("convert.none")).check();
  await convert.getByRole("button", { name: t("convert.submit"), exact: true }).click();
  await page.waitForURL(/\/deals\/\d+$/);
  await heading(config.title).waitFor();
  await page.getByText(t("convert.done")).waitFor();
  results.deal_id = Number(new URL(page.url()).pathname.split("/").pop());
  await snap("deal");

  // The deals board, its columns named in this language; the deal goes to the won stage by keyboard.
  const pipelines = (await api("GET", "/api/pipelines")).body.items;
  const pipeline = pipelines.find((p) => p.is_default) || pipelines[0];
  const first = pipeline.stages[0];
  const won = pipeline.stages.find((s) => s.semantic === "won");
  await mainNav.getByRole("link", { name: t("nav.deals"), exact: true }).click();
  await heading(t("nav.deals")).waitFor();
  await page.getByRole("link", { name: t("board.as_board"), exact: true }).click();
  await heading(t("board.deals")).waitFor();
  const column = (stage) =>
    page.locator("section.board-col").filter({ has: page.getByRole("heading", { level: 2, name: name(stage.name), exact: true }) });
  await column(first).getByRole("link", { name: config.title }).waitFor();
  await snap("board");
  await page.getByRole("button", { name: t("board.move_label", { title: config.title }) }).focus();
  await page.keyboard.press("Enter");
  const move = page.getByRole("dialog", { name: t("board.move_title", { title: config.title }) });
  await move.waitFor();
  await move.getByRole("button", { name: name(won.name), exact: true }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("status").filter({ hasText: t("board.moved", { title: config.title, stage: name(won.name) }) }).waitFor();
  await eventually(async () => (await api("GET", `/api/deals/${results.deal_id}`)).body.stage === won.code, "the deal is won");
  results.won_stage = won.code;
  const wonCard = column(won).getByRole("link", { name: config.title });
  await wonCard.scrollIntoViewIfNeeded();
  await wonCard.waitFor();
  await snap("won");
}
