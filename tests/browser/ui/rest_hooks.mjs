// REST webhooks end to end: the administrator makes one in the settings (name, scopes), copies
// its URL from the dialog that shows it once, and a Bitrix24-style client (here, node's fetch)
// calls `profile` through it as the administrator; the list shows the hook without its token,
// used; after a reload the URL is nowhere on the page; Revoke (confirmed) removes it, and the
// same URL then answers 401 NO_AUTH_FOUND.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot, check, results }) {
  await signIn(page, config);
  await open(page, config, "/settings/rest-hooks", "REST webhooks");
  await page.getByText("No REST webhooks yet.").waitFor();
  await page.getByRole("button", { name: "New webhook" }).click();
  const dialog = page.getByRole("dialog", { name: "New REST webhook" });
  await dialog.getByLabel(/^Name/).fill("Website plugin");
  check((await dialog.getByRole("checkbox", { name: /^crm:/ }).isChecked()) === true, "crm is ticked by default");
  await dialog.getByRole("checkbox", { name: /^user:/ }).uncheck();
  await shot("rest-hooks-new");
  await dialog.getByRole("button", { name: "Save", exact: true }).click();

  const ready = page.getByRole("dialog", { name: "Webhook Website plugin is ready" });
  await ready.getByText("shown only this once", { exact: false }).waitFor();
  await ready.getByRole("button", { name: "Copy: Webhook URL" }).click();
  const url = await ready.getByLabel("Webhook URL", { exact: true }).inputValue();
  check(/^http:\/\/127\.0\.0\.1:\d+\/rest\/\d+\/[a-z0-9]{24}\/$/.test(url), `the webhook URL: ${url}`);
  await shot("rest-hooks-created");
  await ready.getByRole("button", { name: "Done" }).click();
  results.url = url;

  // The client calls through the URL: `methods` (no scope needed) as the administrator, and
  // `profile` is refused for lack of the user scope.
  const methods = await (await fetch(`${url}methods.json`)).json();
  check(Array.isArray(methods.result) && methods.result.includes("batch"), `methods: ${JSON.stringify(methods)}`);
  const profile = await fetch(`${url}profile`);
  results.profile = { status: profile.status, body: await profile.json() };

  await page.reload();
  await page.getByRole("heading", { level: 1, name: "REST webhooks" }).waitFor();
  const row = page.getByRole("row").filter({ hasText: "Website plugin" });
  await row.getByText("crm", { exact: true }).waitFor();
  check((await row.getByText("Never", { exact: true }).count()) === 0, "the hook shows as used");
  const token = url.split("/").filter(Boolean).pop();
  check(!(await page.content()).includes(token), "the token is not on the page after a reload");
  results.listed = await row.innerText();

  await row.getByRole("button", { name: "Revoke Website plugin" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke", exact: true }).click();
  await page.getByText("No REST webhooks yet.").waitFor();
  const after = await fetch(`${url}methods`);
  results.after_revoke = { status: after.status, body: await after.json() };
}
