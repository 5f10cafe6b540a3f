// Store orders end to end: the administrator makes a generic source in the settings (the
// secret's hint follows the chosen kind), lands on its page, copies the webhook URL and the
// generated secret shown once; a store (here, node's crypto and fetch) posts two signed orders,
// one in a currency the CRM lacks: the inbox shows one processed with its deal and one failed
// with its error. The currency is added through the API, Replay on the failed row processes it
// (announced) and the row links its deal; the raw body shows as text in a dialog; a status is
// mapped to another stage; after a reload the secret is nowhere on the page. Edit rotates the
// secret (the old one still verifies), Deactivate turns the URL off and Reactivate back on.
import { createHmac } from "node:crypto";
import { signIn, open, eventually } from "./lib.mjs";

/** Posts `order` to `url` signed as the generic format wants, answering the JSON reply. */
async function deliver(url, secret, order, delivery) {
  const body = JSON.stringify(order);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-timestamp": timestamp, "x-signature": signature, "x-delivery-id": delivery, "x-topic": "orders/create" },
    body,
  });
  return { status: response.status, body: await response.json() };
}

export default async function ({ page, config, shot, api, check, results }) {
  await signIn(page, config);
  await open(page, config, "/settings/order-sources", "Store orders");
  await page.getByRole("button", { name: "New source" }).click();
  const dialog = page.getByRole("dialog", { name: "New store source" });
  await dialog.getByLabel(/^Name/).fill("Petrov shop");
  check((await dialog.getByText("Paste the key Shopify signs webhooks with", { exact: false }).count()) === 1, "the Shopify hint first");
  await dialog.getByLabel(/^Store/).selectOption({ label: "Other store (generic JSON)" });
  await dialog.getByText("Leave empty to have one generated", { exact: false }).waitFor();
  check((await dialog.getByRole("checkbox", { name: config.name }).isChecked()) === true, "the administrator is responsible by default");
  await shot("order-sources-new");
  await dialog.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Petrov shop" }).waitFor();
  results.source_id = Number(new URL(page.url()).pathname.split("/").pop());

  // The secret, shown once, and the URL, each copied (or selected when the clipboard is off).
  await page.getByRole("heading", { name: "Copy the signing secret now" }).waitFor();
  await page.getByText("This secret is shown only once.", { exact: false }).waitFor();
  await page.getByRole("button", { name: "Copy: Signing secret" }).click();
  const secret = await page.getByLabel("Signing secret", { exact: true }).inputValue();
  check(secret.length >= 20, `a generated secret: ${secret}`);
  await page.getByRole("button", { name: "Copy: Webhook URL" }).click();
  const url = await page.getByLabel("Webhook URL", { exact: true }).inputValue();
  check(url.startsWith(`${config.base}/hooks/orders/`), `the webhook URL: ${url}`);
  await page.getByRole("region", { name: "Setting up the store" }).getByText("X-Signature", { exact: false }).waitFor();
  await shot("order-sources-created");

  // The store delivers: one good order, one in a currency the CRM does not have.
  const good = await deliver(url, secret, {
    id: "A-1001", number: "1001", status: "pending", updated_at: "2026-11-22T08:30:00Z", currency: "EUR", total: "37.50",
    customer: { first_name: "Olga", last_name: "Ivanova", email: "olga@example.com" },
    items: [{ sku: "MUG-1", name: "Mug", price: "12.50", quantity: 2 }],
    shipping: [{ name: "Courier", amount: "15.00" }], discounts: [{ name: "WELCOME", amount: "2.50" }],
  }, "ui-1");
  check(good.status === 200 && good.body.status === "processed", `the good order: ${JSON.stringify(good)}`);
  const bad = await deliver(url, secret, {
    id: "A-1002", number: "1002", status: "paid", updated_at: "2026-11-22T09:00:00Z", currency: "GBP", total: "20.00",
    customer: { first_name: "Pavel", email: "pavel@example.com" },
    items: [{ sku: "TEA-1", name: "Tea <b>green</b>", price: "20.00", quantity: 1 }],
  }, "ui-2");
  check(bad.status === 200 && bad.body.status === "failed", `the GBP order: ${JSON.stringify(bad)}`);
  results.good_row = good.body.id;
  results.failed_row = bad.body.id;

  const inbox = page.getByRole("region", { name: "Deliveries" });
  await inbox.getByRole("button", { name: "Refresh" }).click();
  const row = (order) => inbox.getByRole("row").filter({ hasText: order });
  await row("A-1002").getByText("Failed", { exact: true }).waitFor();
  results.error_shown = await row("A-1002").getByText("unknown currency GBP", { exact: false }).textContent();
  check((await row("A-1001").getByText("Processed", { exact: true }).count()) === 1, "the good order is processed");
  results.good_deal_link = await row("A-1001").getByRole("link", { name: /^Deal #\d+$/ }).getAttribute("href");
  check((await row("A-1001").getByRole("button", { name: /^Replay/ }).count()) === 0, "no Replay on a processed row");

  // Filtered to failures only, then back to all.
  await inbox.getByLabel("Outcome").selectOption({ label: "Failed" });
  await eventually(async () => (await inbox.getByRole("row").filter({ hasText: "A-1001" }).count()) === 0, "the filter hides the processed row");
  check((await row("A-1002").count()) === 1, "the failed row stays under the filter");
  await inbox.getByLabel("Outcome").selectOption({ label: "All" });
  await row("A-1001").waitFor();
  await shot("order-sources-inbox-failed");

  // The raw body, as text.
  await inbox.getByRole("button", { name: `Body of delivery ${results.failed_row}` }).click();
  const body = page.getByRole("dialog", { name: `Delivery ${results.failed_row}` });
  results.body = await body.locator("pre").textContent();
  check(results.body.includes("Tea <b>green</b>"), `the body as sent: ${results.body}`);
  check((await body.locator("pre *").count()) === 0, "the body is text, not markup");
  await body.getByRole("button", { name: "Close" }).click();

  // The fix, then Replay.
  const currency = await api("POST", "/api/currencies", { code: "GBP", name: { en: "Pound sterling" }, rate: "117.5000" });
  check(currency.status === 201, `GBP added: ${JSON.stringify(currency)}`);
  await inbox.getByRole("button", { name: `Replay delivery ${results.failed_row}` }).click();
  await page.getByText(`Delivery ${results.failed_row} replayed: processed.`).waitFor({ state: "attached" });
  await row("A-1002").getByText("Processed", { exact: true }).waitFor();
  results.replayed_deal_link = await row("A-1002").getByRole("link", { name: /^Deal #\d+$/ }).getAttribute("href");
  check((await inbox.getByRole("button", { name: /^Replay/ }).count()) === 0, "no failed rows left");
  await shot("order-sources-inbox-replayed");

  // The status mapping: "paid" moved to the pipeline's last stage.
  const mapping = page.getByRole("region", { name: "Order statuses and deal stages" });
  const paid = mapping.getByLabel("Store status “paid”");
  const options = await paid.locator("option").evaluateAll((list) => list.map((o) => o.value));
  results.mapped_paid = options[options.length - 1];
  await paid.selectOption(results.mapped_paid);
  await mapping.getByRole("button", { name: "Save the mapping" }).click();
  await page.getByText("Saved.").waitFor({ state: "attached" });

  // After a reload the secret is gone for good.
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Petrov shop" }).waitFor();
  await page.getByText("The signing secret is never shown again.", { exact: false }).waitFor();
  check((await page.getByLabel("Signing secret", { exact: true }).count()) === 0, "no secret field after a reload");
  const text = await page.locator("body").innerText();
  const values = await page.locator("input, textarea").evaluateAll((list) => list.map((e) => e.value));
  check(!text.includes(secret) && !values.some((v) => v.includes(secret)), "the secret is nowhere on the page");
  check((await page.getByRole("region", { name: "Order statuses and deal stages" }).getByLabel("Store status “paid”").inputValue()) === results.mapped_paid, "the mapping was kept");

  // Edit: an empty secret keeps it; a new one rotates it, the old one verifying for the grace.
  await page.getByRole("button", { name: "Edit source" }).click();
  const edit = page.getByRole("dialog", { name: "Edit source" });
  await edit.getByText("Leave empty to keep the current secret.", { exact: false }).waitFor();
  check((await edit.getByLabel("Signing secret").inputValue()) === "", "the secret is not read back into the form");
  await edit.getByLabel("Signing secret").fill("rotated-secret-from-the-store");
  await edit.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("The previous secret still verifies until", { exact: false }).waitFor();
  const order = (n) => ({ id: `A-20${n}`, updated_at: "2026-11-22T10:00:00Z", currency: "EUR", total: "5.00", items: [{ sku: "PEN-1", name: "Pen", price: "5.00", quantity: 1 }] });
  const old = await deliver(url, secret, order(1), "ui-3");
  const rotated = await deliver(url, "rotated-secret-from-the-store", order(2), "ui-4");
  check(old.status === 200 && rotated.status === 200, `both secrets verify in the grace period: ${old.status} ${rotated.status}`);

  // Deactivate (asked first): the URL stops taking orders; then reactivate.
  await page.getByRole("button", { name: "Deactivate Petrov shop" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Deactivate", exact: true }).click();
  await page.getByText("This source is inactive", { exact: false }).waitFor();
  const refused = await deliver(url, "rotated-secret-from-the-store", order(3), "ui-5");
  check(refused.status === 404, `an inactive source's URL answers 404: ${refused.status}`);
  await shot("order-sources-inactive");
  check(await page.getByRole("button", { name: "Reactivate" }).evaluate((b) => b === document.activeElement), "the focus is on Reactivate");
  await page.getByRole("button", { name: "Reactivate" }).click();
  await page.getByRole("button", { name: "Deactivate Petrov shop" }).waitFor();

  // The list shows the source.
  await open(page, config, "/settings/order-sources", "Store orders");
  const listed = page.getByRole("row").filter({ hasText: "Petrov shop" });
  await listed.getByText(url).waitFor();
  results.listed = await listed.innerText();
  await shot("order-sources-list");

  // The deal the replayed order made shows its store order on its card.
  await page.goto(`${config.base}${results.replayed_deal_link}`);
  const card = page.getByRole("region", { name: "Store order" });
  await card.getByText("Order 1002 from Petrov shop", { exact: false }).waitFor();
  results.store_order_card = await card.innerText();
  await shot("deal-store-order");
}
