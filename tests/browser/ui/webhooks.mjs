// Outbound webhooks in the settings: the administrator makes a JSON subscription to new leads
// (events picked from the list), lands on its page with the secret shown once and copies it;
// a lead is made and the tick sends it to the test's receiver, which answers 500: the delivery
// log shows it waiting with HTTP 500 and its next try; the attempts open in a dialog; Retry
// queues it again (announced); Pause asks for nothing and shows the subscription paused,
// Resume makes it active; after a reload the secret is nowhere on the page.
import { signIn, open, eventually } from "./lib.mjs";

export default async function ({ page, config, shot, api, check, results }) {
  await signIn(page, config);
  await open(page, config, "/settings/webhooks", "Outbound webhooks");
  await page.getByText("No subscriptions yet.").waitFor();
  await page.getByRole("button", { name: "New subscription" }).click();
  const dialog = page.getByRole("dialog", { name: "New outbound webhook" });
  await dialog.getByLabel(/^Name/).fill("Warehouse");
  await dialog.getByLabel(/^URL/).fill(config.receiver);
  await dialog.getByLabel(/^Style/).selectOption({ label: "JSON with the record" });
  await dialog.getByRole("checkbox", { name: "lead.created (ONCRMLEADADD)" }).check();
  await dialog.getByRole("checkbox", { name: "deal.stage_changed" }).check();
  await shot("webhooks-new");
  await dialog.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Warehouse" }).waitFor();
  results.webhook_id = Number(new URL(page.url()).pathname.split("/").pop());

  // The secret, once.
  await page.getByRole("heading", { name: "Copy the secret now" }).waitFor();
  await page.getByRole("button", { name: "Copy: Secret" }).click();
  const secret = await page.getByLabel("Secret", { exact: true }).inputValue();
  check(secret.length >= 40, `a generated secret: ${secret}`);
  results.secret = secret;
  const details = page.getByRole("region", { name: "Subscription" });
  await details.getByText("Active", { exact: true }).waitFor();
  await shot("webhooks-created");

  // A lead, and the tick: the receiver answers 500.
  const lead = await api("POST", "/api/leads", { title: "From the UI test", status: "NEW" });
  check(lead.status === 201, `a lead: ${JSON.stringify(lead)}`);
  const tick = await api("POST", "/internal/tick", null, { "x-tick-secret": config.tick_secret });
  check(tick.status === 200 && tick.body.failed === 1, `the tick: ${JSON.stringify(tick)}`);
  const log = page.getByRole("region", { name: "Delivery log" });
  await log.getByRole("button", { name: "Refresh" }).click();
  const row = log.getByRole("row").filter({ hasText: "lead.created" });
  await row.getByText("Waiting", { exact: true }).waitFor();
  await row.getByText("HTTP 500").waitFor();
  await row.getByText("next try", { exact: false }).waitFor();
  check((await row.getByRole("link", { name: `#${lead.body.id}` }).getAttribute("href")) === `/leads/${lead.body.id}`, "the row links its lead");
  await shot("webhooks-log-failed");

  // The attempts, then Retry.
  const delivery = Number((await row.getByRole("button", { name: /^Attempts of delivery/ }).getAttribute("aria-label")).split(" ").pop());
  results.delivery_id = delivery;
  await row.getByRole("button", { name: `Attempts of delivery ${delivery}` }).click();
  const attempts = page.getByRole("dialog", { name: `Attempts of delivery ${delivery}` });
  await attempts.getByRole("cell", { name: "500", exact: true }).waitFor();
  await attempts.getByRole("button", { name: "Close" }).click();
  await row.getByRole("button", { name: `Retry delivery ${delivery}` }).click();
  await page.getByText(`Delivery ${delivery} goes out at the next tick.`).waitFor({ state: "attached" });

  // Pause, then resume.
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await details.getByText("Paused", { exact: true }).waitFor();
  await details.getByText("paused by a user").waitFor();
  await shot("webhooks-paused");
  await page.getByRole("button", { name: "Resume", exact: true }).click();
  await details.getByText("Active", { exact: true }).waitFor();

  // Gone after a reload; the list shows the subscription and its state.
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Warehouse" }).waitFor();
  check((await page.getByLabel("Secret", { exact: true }).count()) === 0, "no secret field after a reload");
  const values = await page.locator("input, textarea").evaluateAll((list) => list.map((e) => e.value));
  check(!(await page.locator("body").innerText()).includes(secret) && !values.some((v) => v.includes(secret)), "the secret is nowhere on the page");
  await page.getByRole("link", { name: "All subscriptions" }).click();
  const listRow = page.getByRole("row").filter({ hasText: "Warehouse" });
  await eventually(async () => (await listRow.getByText("Active", { exact: true }).count()) === 1, "the list shows it active");
}
