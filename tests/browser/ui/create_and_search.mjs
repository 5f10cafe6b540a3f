// A lead made in the UI (with the API's validation beside the field first), then found from
// any screen by the global search and opened with the keyboard.
import { signIn, eventually } from "./lib.mjs";

export default async function ({ page, config, shot, check, results }) {
  await signIn(page, config);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" }).click();
  await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
  await page.getByRole("link", { name: "New lead", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "New lead" }).waitFor();
  await page.getByLabel("Lead name").fill(config.title);
  await page.getByLabel("E-mails").fill("not an e-mail");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  // 422 from the API: the message sits beside the e-mail field, which gets the focus.
  const emails = page.getByLabel("E-mails");
  await eventually(async () => (await emails.getAttribute("aria-invalid")) === "true", "the e-mails field is marked invalid");
  check(await emails.evaluate((e) => e === document.activeElement), "focus moves to the invalid field");
  await shot("lead-new-invalid");
  await emails.fill("ivan@romashka.example");
  await page.getByLabel("Phones").fill("+7 999 123-45-67");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: config.title }).waitFor();
  results.card_url = page.url();
  // Phones and e-mails are links.
  check((await page.getByRole("link", { name: "+7 999 123-45-67" }).getAttribute("href")) === "tel:+79991234567", "a tel: link");
  check((await page.getByRole("link", { name: "ivan@romashka.example" }).getAttribute("href")) === "mailto:ivan@romashka.example", "a mailto: link");
  // A comment on the timeline.
  await page.getByLabel("Comment").fill("Called back, wants a quote");
  await page.getByRole("button", { name: "Add comment" }).click();
  await page.getByRole("listitem").filter({ hasText: "Called back, wants a quote" }).waitFor();
  await shot("lead-card");

  // The global search, from the start page.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Start" }).click();
  await page.getByRole("heading", { level: 1, name: /^Hello/ }).waitFor();
  const search = page.getByRole("combobox", { name: "Search leads, contacts, companies and deals" });
  await search.fill(config.query);
  const option = page.getByRole("option", { name: config.title });
  await option.waitFor();
  check(await page.getByRole("group", { name: "Leads" }).isVisible(), "results are grouped by entity");
  await shot("search");
  await search.press("ArrowDown");
  check((await option.getAttribute("aria-selected")) === "true", "the arrow key selects the first result");
  await search.press("Enter");
  await page.getByRole("heading", { level: 1, name: config.title }).waitFor();
  check(page.url() === results.card_url, "Enter opens the lead");
}
