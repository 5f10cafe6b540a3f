// At 360 px nothing scrolls sideways, and a list shows its records as cards; every settings
// section and the profile fit too, in Russian (the longer words), and a store source's page
// with a failed delivery in its inbox.
import { createHmac } from "node:crypto";
import { signIn, messages } from "./lib.mjs";

async function noSideways(page, check, where) {
  const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  check(sizes.scroll <= sizes.width, `${where}: page is ${sizes.scroll}px wide in a ${sizes.width}px window`);
}

export default async function ({ page, config, shot, check, results }) {
  await page.goto(`${config.base}/login`);
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await noSideways(page, check, "sign-in");
  await signIn(page, config);
  await page.getByRole("heading", { level: 1, name: /^Hello/ }).waitFor();
  await noSideways(page, check, "start");
  await shot("narrow-start");
  await page.goto(`${config.base}/leads`);
  await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
  await noSideways(page, check, "leads");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: config.title }) });
  const box = await row.boundingBox();
  const layout = await row.evaluate((r) => ({ display: getComputedStyle(r).display, header: getComputedStyle(r.closest("table").tHead).display }));
  results.layout = layout;
  check(layout.display === "block" && layout.header === "none", `rows are cards: ${JSON.stringify(layout)}`);
  check(box && box.width <= 360, `the card fits: ${JSON.stringify(box)}`);
  await shot("narrow-leads");
  await page.getByRole("link", { name: config.title }).click();
  await page.getByRole("heading", { level: 1, name: config.title }).waitFor();
  await noSideways(page, check, "card");
  await page.getByRole("button", { name: "Edit" }).click();
  await noSideways(page, check, "card in edit");
  await shot("narrow-card");

  // The settings, in Russian.
  await page.getByRole("combobox", { name: "Language" }).selectOption("ru");
  await page.waitForFunction(() => document.documentElement.lang === "ru");
  const t = messages("ru");
  const sections = ["users", "departments", "roles", "pipelines", "dictionaries", "currencies", "custom-fields", "forms", "order-sources", "audit", "firm"];
  for (const section of sections) {
    await page.goto(`${config.base}/settings/${section}`);
    await page.getByRole("heading", { level: 1, name: t(`settings.section.${section}`) }).waitFor();
    await noSideways(page, check, `settings/${section}`);
  }
  await shot("narrow-settings-firm");

  // A store source's page, its inbox holding a delivery that failed with a long error.
  const body = JSON.stringify({ id: "A-1", updated_at: "2026-11-22T08:30:00Z", currency: "XTS", total: "1.00", items: [] });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `sha256=${createHmac("sha256", config.secret).update(`${timestamp}.${body}`).digest("hex")}`;
  const delivered = await fetch(config.hook, {
    method: "POST",
    headers: { "content-type": "application/json", "x-timestamp": timestamp, "x-signature": signature, "x-delivery-id": "narrow-1" },
    body,
  });
  check(delivered.status === 200, `the delivery is kept: ${delivered.status}`);
  await page.goto(`${config.base}/settings/order-sources/${config.source_id}`);
  await page.getByRole("heading", { level: 1, name: config.source_name }).waitFor();
  await page.getByRole("region", { name: t("orders.inbox") }).getByRole("row").filter({ hasText: "A-1" }).getByText(t("orders.inbox_status.failed"), { exact: true }).waitFor();
  await noSideways(page, check, "settings/order-sources/<id>");
  await shot("narrow-order-source");
  await page.goto(`${config.base}/settings/pipelines`);
  await page.getByRole("heading", { level: 1, name: t("settings.section.pipelines") }).waitFor();
  await shot("narrow-settings-pipelines");
  await page.goto(`${config.base}/profile`);
  await page.getByRole("heading", { level: 1, name: t("profile.title") }).waitFor();
  await noSideways(page, check, "profile");
}
