// The import wizard with the other file kinds and a cancel: an Excel workbook whose contacts
// are on its second sheet (chosen in the settings step, the preview following), a phone's
// vCard file (no delimiter or header to set; the cards' own keys mapped), and a CSV whose run
// is cancelled between two steps (the first step's request is held until Cancel is pressed,
// and asks for two rows, so the stop falls between steps whatever the machine's speed).
import { signIn, open, eventually, messages } from "./lib.mjs";

/** The header and body cells of the preview table, as text. */
function cells(table) {
  return table.evaluate((t) => ({
    head: [...t.tHead.rows[0].cells].map((c) => c.textContent.trim()),
    rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent.trim())),
  }));
}

export default async function ({ page, config, check, shot, api, results }) {
  const t = messages("en");
  const heading = (name) => page.getByRole("heading", { level: 1, name, exact: true }).waitFor();
  const next = () => page.getByRole("button", { name: t("imports.next") }).click();
  await signIn(page, config);

  /** Uploads `file` from the contacts list and waits for the settings step. */
  async function upload(file) {
    await open(page, config, "/contacts", t("nav.contacts"));
    await page.getByRole("link", { name: t("list.import"), exact: true }).click();
    await heading(t("imports.step.upload"));
    await page.getByLabel(t("imports.file_label")).setInputFiles(file);
    await page.getByText(t("imports.chosen", { name: file.name })).waitFor();
    await page.getByRole("button", { name: t("imports.upload") }).click();
    await heading(t("imports.step.settings"));
  }

  /** From the settings step through mapping, duplicates and the dry run to the run's page. */
  async function startRun(count) {
    await next();
    await heading(t("imports.step.mapping"));
    await next();
    await heading(t("imports.step.duplicates"));
    await next();
    await heading(t("imports.step.check"));
    await page.getByRole("button", { name: t("imports.start", { count }) }).click();
    await heading(t("imports.step.run"));
  }

  /** `startRun`, then wait for the run to finish. */
  async function runToEnd(count) {
    await startRun(count);
    await page.getByText(t("imports.status.done"), { exact: true }).waitFor();
  }

  // Excel: the first sheet is notes; the contacts are on the second, chosen here.
  await upload({ name: "book.xlsx", mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: Buffer.from(config.xlsx, "base64") });
  const preview = page.getByRole("region", { name: t("imports.preview") }).getByRole("table");
  const sheet = page.getByLabel(t("imports.sheet"));
  results.sheets = await sheet.evaluate((s) => [...s.options].map((o) => o.value));
  check(results.sheets.join("|") === "Заметки|Контакты", `both sheets offered: ${results.sheets}`);
  check((await sheet.inputValue()) === "Заметки", "the first sheet is read first");
  check(!(await page.getByLabel(t("imports.delimiter"), { exact: true }).count()), "a workbook has no delimiter to choose");
  await sheet.selectOption("Контакты");
  await eventually(async () => (await cells(preview)).head.join("|") === "Имя|Фамилия|E-mail|Телефон", "the second sheet's columns");
  results.xlsx_preview = await cells(preview);
  await shot("imports-xlsx-sheet");
  await runToEnd(2);
  await page.getByText(t("imports.count.created", { count: 2 })).waitFor();

  // vCard: the format shown, nothing to set but the encoding, the cards imported.
  await upload({ name: "phone.vcf", mimeType: "text/vcard", buffer: Buffer.from(config.vcf, "utf8") });
  check((await page.getByText("vCard", { exact: true }).count()) === 1, "the format is vCard");
  check(!(await page.getByLabel(t("imports.header")).count()), "a vCard file has no header row to set");
  results.vcard_preview = await cells(preview);
  await shot("imports-vcard-settings");
  await runToEnd(config.vcf_cards);
  await page.getByText(t("imports.count.created", { count: config.vcf_cards })).waitFor();

  // Cancel between steps: the first step is held until Cancel is pressed.
  const csv = ["Имя,Фамилия,E-mail", ...[1, 2, 3, 4, 5].map((n) => `Отмена${n},Тест,cancel${n}@example.com`)].join("\r\n");
  await upload({ name: "cancel.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf8") });
  let release;
  const held = new Promise((resolve) => (release = resolve));
  let steps = 0;
  await page.route("**/api/imports/*/step", async (route) => {
    steps += 1;
    if (steps === 1) await held;
    await route.continue({ url: `${route.request().url()}?rows=2` });
  });
  await startRun(5);
  await eventually(async () => steps === 1, "the first step was asked for");
  const cancel = page.getByRole("button", { name: t("imports.cancel") });
  await cancel.click();
  check(await cancel.isDisabled(), "cancel is pressed once");
  release();
  await page.locator("#main").getByText(t("imports.status.cancelled"), { exact: true }).waitFor();
  await page.getByText(t("imports.count.created", { count: 2 })).waitFor();
  results.steps = steps;
  await shot("imports-cancelled");
  await page.unroute("**/api/imports/*/step");
  results.imports = (await api("GET", "/api/imports")).body.items;
  results.contacts = (await api("GET", "/api/contacts?sort=id&limit=50")).body.items;
}
