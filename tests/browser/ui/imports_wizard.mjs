// The import wizard end to end, in the page's language (`config.lang`, English unless given)
// and at the window's width (a phone's too: nothing scrolls sideways on any step). From the
// contacts list's Import button: a CSV with Cyrillic uploaded, its preview (and the delimiter
// changed and back, re-reading the file), the guessed mapping with one column mapped by hand
// and a phone type fixed, the duplicates' defaults, the dry run's per-row outcomes, the run
// with its progress bar to the end, the new contacts in the list, the rejected rows
// downloaded, and the roll back that takes the contacts away again.
import { readFileSync } from "node:fs";
import { signIn, open, messages, eventually } from "./lib.mjs";
import { noSideways } from "./reports_lib.mjs";

export const FILE_NAME = "контакты.csv";
export const CSV = [
  "Имя,Фамилия,Телефоны,E-mail,Должность,Заметка",
  "Иван,Петров,+7 999 111-22-33,ivan.petrov@example.com,Директор,Звонить утром",
  "Мария,Сидорова,+7 999 444-55-66,maria@example.com,Бухгалтер,Только почта",
  "Ошибка,Неверная,+7 999 777-88-99,это-не-почта,,",
].join("\r\n");

/** The cells of a table's header and body rows, as text. */
function cells(table) {
  return table.evaluate((t) => ({
    head: [...t.tHead.rows[0].cells].map((c) => c.textContent.trim()),
    rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent.trim())),
  }));
}

export default async function ({ page, config, check, shot, api, results }) {
  const t = messages(config.lang || "en");
  const fits = (where) => noSideways(page, check, where);
  const heading = (name) => page.getByRole("heading", { level: 1, name, exact: true }).waitFor();
  await signIn(page, config);
  const nav = page.getByRole("navigation", { name: t("nav.label") });
  check(await nav.getByRole("link", { name: t("nav.imports") }).isVisible(), "the menu offers the import");

  // From the contacts list: the entity is chosen already.
  await open(page, config, "/contacts", t("nav.contacts"));
  await page.getByRole("link", { name: t("list.import"), exact: true }).click();
  await heading(t("imports.step.upload"));
  check((await page.getByLabel(t("imports.into")).inputValue()) === "contacts", "contacts are chosen");
  await fits("upload");
  await shot(`imports-${config.lang || "en"}-upload`);
  await page.getByLabel(t("imports.file_label")).setInputFiles({ name: FILE_NAME, mimeType: "text/csv", buffer: Buffer.from(CSV, "utf8") });
  await page.getByText(t("imports.chosen", { name: FILE_NAME })).waitFor();
  await page.getByRole("button", { name: t("imports.upload") }).click();

  // Settings and the preview: what was detected, the first rows in Cyrillic.
  await heading(t("imports.step.settings"));
  const preview = page.getByRole("region", { name: t("imports.preview") }).getByRole("table");
  const first = await cells(preview);
  results.preview = first;
  check(first.head.join("|") === "Имя|Фамилия|Телефоны|E-mail|Должность|Заметка", `the columns: ${first.head}`);
  check(first.rows.length === 3 && first.rows[0][0] === "Иван" && first.rows[2][3] === "это-не-почта", `the rows: ${JSON.stringify(first.rows)}`);
  const delimiter = page.getByLabel(t("imports.delimiter"), { exact: true });
  check((await delimiter.inputValue()) === ",", "a comma was detected");
  check(await page.getByLabel(t("imports.header")).isChecked(), "the header row was detected");
  // Another delimiter reads the file again: one column; back to the comma, six.
  await delimiter.selectOption(";");
  await eventually(async () => (await cells(preview)).head.length === 1, "one column with a semicolon");
  await delimiter.selectOption(",");
  await eventually(async () => (await cells(preview)).head.length === 6, "six columns with a comma again");
  await fits("settings");
  await shot(`imports-${config.lang || "en"}-settings`);
  await page.getByRole("button", { name: t("imports.next") }).click();

  // Mapping: the guesses chosen, one column mapped by hand, the phones' type fixed.
  await heading(t("imports.step.mapping"));
  const field = (column) => page.getByRole("combobox", { name: t("imports.field_for", { column }), exact: true });
  results.guessed = {};
  for (const column of ["Имя", "Фамилия", "Телефоны", "E-mail", "Должность", "Заметка"]) {
    results.guessed[column] = await field(column).inputValue();
  }
  check(results.guessed["Имя"] === "first_name" && results.guessed["Фамилия"] === "last_name", `names guessed: ${JSON.stringify(results.guessed)}`);
  check(results.guessed["E-mail"] === "emails" && results.guessed["Телефоны"] === "phones", `channels guessed: ${JSON.stringify(results.guessed)}`);
  check(results.guessed["Заметка"] === "", "an unknown header is not imported");
  await field("Заметка").selectOption("comments");
  await page.getByRole("combobox", { name: t("imports.type_for", { column: "Телефоны" }) }).selectOption("mobile");
  await page.getByText(t("imports.mapped", { mapped: 6, count: 6 })).waitFor();
  await fits("mapping");
  await shot(`imports-${config.lang || "en"}-mapping`);
  await page.getByRole("button", { name: t("imports.next") }).click();

  // Duplicates: skip those matching by e-mail or phone (the defaults).
  await heading(t("imports.step.duplicates"));
  check(await page.getByLabel(t("imports.mode.skip")).isChecked(), "skip is the default");
  check(await page.getByLabel(t("imports.match.channels")).isChecked(), "e-mail or phone is the default match");
  await fits("duplicates");
  await page.getByRole("button", { name: t("imports.next") }).click();

  // The dry run: two to create, the bad e-mail an error with its message; nothing written.
  await heading(t("imports.step.check"));
  const dry = await cells(page.getByRole("table"));
  results.dry_run = dry;
  check(dry.rows.length === 3, `three rows checked: ${JSON.stringify(dry.rows)}`);
  check(dry.rows[0][1] === t("imports.action.create") && dry.rows[1][1] === t("imports.action.create"), `two to create: ${JSON.stringify(dry.rows)}`);
  check(dry.rows[2][1] === t("imports.action.error") && dry.rows[2][3].includes("emails"), `the bad e-mail: ${JSON.stringify(dry.rows[2])}`);
  check((await api("GET", "/api/contacts")).body.items.length === 0, "the dry run wrote nothing");
  await fits("dry run");
  await shot(`imports-${config.lang || "en"}-check`);
  await page.getByRole("button", { name: t("imports.start", { count: 3 }) }).click();

  // The run: the bar goes to the end, then the counts.
  await heading(t("imports.step.run"));
  await page.getByText(t("imports.count.created", { count: 2 })).waitFor();
  await page.getByText(t("imports.count.failed", { count: 1 })).waitFor();
  const bar = page.getByRole("progressbar", { name: t("imports.progress_label") });
  results.bar = await bar.evaluate((p) => ({ value: p.value, max: p.max }));
  check(results.bar.value === 3 && results.bar.max === 3, `the bar is full: ${JSON.stringify(results.bar)}`);
  await fits("result");
  await shot(`imports-${config.lang || "en"}-result`);

  // The rejected rows as CSV: the original cells and the reason.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: t("imports.rejected") }).click()]);
  results.rejected = readFileSync(await download.path(), "utf8");
  check(results.rejected.includes("это-не-почта") && results.rejected.includes("Ошибка"), `the rejected row: ${results.rejected}`);

  // The new contacts are in the list.
  await page.getByRole("link", { name: t("imports.open_list", { list: t("nav.contacts") }) }).click();
  await heading(t("nav.contacts"));
  for (const name of ["Иван Петров", "Мария Сидорова"]) await page.getByRole("link", { name, exact: true }).waitFor();
  await fits("contacts");
  await shot(`imports-${config.lang || "en"}-contacts`);
  results.created = (await api("GET", "/api/contacts?sort=id")).body.items;

  // The past imports lead back to this one; roll back takes the contacts away.
  await nav.getByRole("link", { name: t("nav.imports") }).click();
  await heading(t("imports.title"));
  const past = await cells(page.getByRole("table"));
  results.past = past;
  check(past.rows[0][0] === FILE_NAME && past.rows[0][2] === t("imports.status.done"), `the past import: ${JSON.stringify(past.rows)}`);
  await fits("past imports");
  await page.getByRole("link", { name: FILE_NAME }).click();
  await heading(t("imports.step.run"));
  await page.getByRole("button", { name: t("imports.rollback") }).click();
  const confirm = page.getByRole("dialog");
  await confirm.getByText(t("imports.rollback_confirm", { count: 2 })).waitFor();
  await confirm.getByRole("button", { name: t("imports.rollback") }).click();
  await page.getByText(t("imports.status.rolled_back"), { exact: true }).waitFor();
  await page.getByText(t("imports.count.removed", { count: 2 })).waitFor();
  await shot(`imports-${config.lang || "en"}-rolled-back`);
  await open(page, config, "/contacts", t("nav.contacts"));
  await page.getByText(t("list.empty")).waitFor();
}
