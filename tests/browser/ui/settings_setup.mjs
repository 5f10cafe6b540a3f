// An owner sets the firm up in the settings screens, never touching the API by hand: a second
// pipeline with a renamed stage, reordered by keyboard and by drag; a list-type custom field on
// leads used at once in a lead card and in a list filter; a source and a currency; the firm's
// time zone; the audit log filtered to what was done; an API token created, copied once and
// revoked (the test then sees the API refuse it) and the person's own password changed.
import { signIn, open, rowTitles, eventually } from "./lib.mjs";

export default async function ({ page, config, check, shot, results, api }) {
  await signIn(page, config);

  // Pipelines: a new pipeline, a stage renamed in both languages, moved up by its button.
  await open(page, config, "/settings/pipelines", "Pipelines");
  await page.getByRole("button", { name: "New pipeline" }).click();
  let dialog = page.getByRole("dialog", { name: "New pipeline" });
  await dialog.getByLabel("English").fill("Rentals");
  await dialog.getByLabel("Russian").fill("Аренда");
  await dialog.getByRole("button", { name: "Save" }).click();
  const rentals = page.getByRole("region", { name: "Rentals" });
  await rentals.waitFor();
  await rentals.getByRole("button", { name: "Edit Preparing documents" }).click();
  dialog = page.getByRole("dialog", { name: "Edit stage Preparing documents" });
  await dialog.getByLabel("English").fill("Viewing booked");
  await dialog.getByLabel("Russian").fill("Просмотр назначен");
  await dialog.getByRole("button", { name: "Save" }).click();
  await rentals.getByText("Viewing booked").waitFor();
  // A second won stage is refused beside the meaning, saying why.
  await rentals.getByRole("button", { name: "Edit Viewing booked" }).click();
  dialog = page.getByRole("dialog", { name: "Edit stage Viewing booked" });
  await dialog.getByLabel("Meaning").selectOption({ label: "Won" });
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.getByText("a pipeline has exactly one won stage").waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await rentals.getByRole("button", { name: "Move Viewing booked up" }).focus();
  await page.keyboard.press("Enter");
  await eventually(async () => (await rentals.getByRole("listitem").first().innerText()).includes("Viewing booked"), "the renamed stage moved first");
  // Drag the last stage to the top.
  const items = rentals.getByRole("listitem");
  const last = items.last();
  const lastName = (await last.locator(".stage-name").innerText()).trim();
  await last.dragTo(items.first(), { targetPosition: { x: 20, y: 2 } });
  await eventually(async () => (await rentals.getByRole("listitem").first().innerText()).includes(lastName), "the dragged stage moved first");
  results.dragged_first = lastName;
  await shot("settings-pipelines");

  // A list-type custom field on leads.
  await open(page, config, "/settings/custom-fields", "Custom fields");
  await page.getByRole("button", { name: "New field for Lead" }).click();
  dialog = page.getByRole("dialog", { name: "New field for Lead" });
  await dialog.getByLabel("English").fill("Property type");
  await dialog.getByLabel("Code").fill("uf_property");
  await dialog.getByLabel("Type").selectOption({ label: "List" });
  check(await dialog.getByLabel("Options").isVisible(), "a list field offers its options");
  check(!(await dialog.getByLabel("Links to").isVisible()), "a list field hides the record link");
  await dialog.getByLabel("Options").fill("Flat\nHouse\nOffice");
  await dialog.getByLabel("Shown in lists").check();
  await dialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("rowheader", { name: "Property type" }).waitFor();
  await shot("settings-custom-field");

  // It is on the lead card at once, and the list filters by it.
  await page.getByRole("link", { name: "Leads" }).first().click();
  await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
  await page.goto(`${config.base}/leads/new`);
  await page.getByLabel("Lead name").fill("Office on Main street");
  await page.getByLabel("Property type").selectOption({ label: "Office" });
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "Office on Main street" }).waitFor();
  await page.getByText("Office", { exact: true }).waitFor();
  await open(page, config, "/leads", "Leads");
  await page.getByText("Filters", { exact: true }).click();
  await page.getByLabel("Filter 1: field").selectOption({ label: "Property type" });
  await page.getByLabel("Filter 1: condition").selectOption({ label: "is" });
  await page.getByLabel("Filter 1: value").selectOption({ label: "Office" });
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.getByRole("status").filter({ hasText: /^1 record$/ }).waitFor();
  const titles = await rowTitles(page);
  check(JSON.stringify(titles) === JSON.stringify(["Office on Main street"]), `only the office lead: ${titles}`);

  // A lead source and a currency (the dialogs close once saved).
  await open(page, config, "/settings/dictionaries?kind=sources", "Dictionaries");
  await page.getByRole("button", { name: "Add to Sources" }).click();
  dialog = page.getByRole("dialog", { name: "Add to Sources" });
  await dialog.getByLabel("English").fill("Podcast");
  await dialog.getByLabel("Code").fill("PODCAST");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByRole("rowheader", { name: "Podcast" }).waitFor();
  await open(page, config, "/settings/currencies", "Currencies");
  await page.getByRole("button", { name: "New currency" }).click();
  dialog = page.getByRole("dialog", { name: "New currency" });
  await dialog.getByLabel("Code").fill("GEL");
  await dialog.getByLabel("English").fill("Georgian lari");
  await dialog.getByLabel("Russian").fill("Грузинский лари");
  await dialog.getByLabel("Rate").fill("34.5");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByRole("rowheader", { name: "GEL" }).waitFor();

  // The firm's time zone: a wrong one is refused beside the field.
  await open(page, config, "/settings/firm", "Firm");
  await page.getByLabel("Firm name").fill("Horns & Hooves");
  await page.getByLabel("Time zone").fill("Mars/Olympus");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("unknown time zone", { exact: false }).or(page.locator("#f-time_zone-error")).first().waitFor();
  check(await page.locator("#f-time_zone").getAttribute("aria-invalid") === "true", "the time zone is marked invalid");
  await page.getByLabel("Time zone").fill("Asia/Almaty");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();

  // The audit log, filtered to pipeline changes.
  await open(page, config, "/settings/audit", "Audit log");
  await page.getByLabel("Action").fill("pipeline.stages_reordered");
  await page.getByRole("button", { name: "Show" }).click();
  await eventually(async () => (await page.getByRole("rowheader").count()) === 2, "two reorders in the log");
  check(new URL(page.url()).searchParams.get("action") === "pipeline.stages_reordered", "the filter is in the address");
  await shot("settings-audit");

  // An API token: shown once, works, then revoked.
  await page.getByLabel(/^Account:/).click();
  await page.getByRole("link", { name: "My profile" }).click();
  await page.getByRole("heading", { level: 1, name: "My profile" }).waitFor();
  await page.getByLabel("Token name").fill("Zapier");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = await page.getByLabel("New token").inputValue();
  check(token.startsWith("crm_"), `the token is shown: ${token}`);
  results.token = token;
  const before = await fetch(`${config.base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  results.token_status_before = before.status;
  await page.getByRole("button", { name: "Revoke Zapier" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke Zapier" }).click();
  await page.getByText(/^Revoked /).waitFor();
  await shot("settings-profile");

  // The person's own password: the wrong current one is refused beside it.
  await page.getByLabel("Current password").fill("not my password");
  await page.getByLabel("New password").fill("quiet meadow lantern 42");
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByText("is not your current password").waitFor();
  await page.getByLabel("Current password").fill(config.password);
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByRole("status").filter({ hasText: "Password changed." }).waitFor();
  // Still signed in (the new session), and the settings still open.
  await open(page, config, "/settings/users", "Users");
  void api;
}
