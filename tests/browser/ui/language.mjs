// The language switch: Russian labels, and names from the API (lead statuses) in Russian;
// the choice is remembered across a reload.
import { signIn } from "./lib.mjs";

export default async function ({ page, config, shot, check, results }) {
  await signIn(page, config);
  await page.goto(`${config.base}/leads`);
  await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
  await page.getByRole("cell", { name: "New", exact: true }).first().waitFor();
  await page.getByLabel("Language").selectOption({ label: "Русский" });
  await page.getByRole("heading", { level: 1, name: "Лиды" }).waitFor();
  const nav = page.getByRole("navigation", { name: "Главное меню" });
  for (const label of ["Начало", "Контакты", "Компании", "Сделки", "Дела", "Товары", "Настройки"]) {
    check(await nav.getByRole("link", { name: label }).isVisible(), `the menu says ${label}`);
  }
  // The status name comes from the API in Russian.
  await page.getByRole("cell", { name: "Новый", exact: true }).first().waitFor();
  check(await page.getByRole("button", { name: "Сохранить представление" }).isVisible(), "buttons are Russian");
  check((await page.evaluate(() => document.documentElement.lang)) === "ru", "the page says it is Russian");
  results.count_line = await page.getByRole("status").filter({ hasText: "запис" }).first().innerText();
  await shot("list-ru");
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Лиды" }).waitFor();
  await page.getByLabel("Язык").selectOption({ label: "English" });
  await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
}
