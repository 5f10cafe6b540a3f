// A manager (no `settings` permission) reaches their own REST webhooks from the profile: the
// settings area shows them only that section, the other sections say they are forbidden, and a
// webhook made there acts as the manager (`user.current` answers their e-mail).
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot, check, results }) {
  await signIn(page, config);
  check((await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).count()) === 0, "no Settings in the menu");
  await open(page, config, "/profile", "My profile");
  await page.getByRole("link", { name: "Your REST webhooks" }).click();
  await page.getByRole("heading", { level: 1, name: "REST webhooks" }).waitFor();
  const sections = page.getByRole("navigation", { name: "Settings sections" }).getByRole("link");
  results.sections = await sections.allInnerTexts();

  await page.getByRole("button", { name: "New webhook" }).click();
  const dialog = page.getByRole("dialog", { name: "New REST webhook" });
  await dialog.getByLabel(/^Name/).fill("Telephony");
  await dialog.getByRole("button", { name: "Save", exact: true }).click();
  const ready = page.getByRole("dialog", { name: "Webhook Telephony is ready" });
  const url = await ready.getByLabel("Webhook URL", { exact: true }).inputValue();
  await shot("rest-hooks-manager");
  await ready.getByRole("button", { name: "Done" }).click();
  const current = await (await fetch(`${url}user.current.json`)).json();
  results.current_email = current.result && current.result.EMAIL;

  await open(page, config, "/settings/users", "Settings");
  await page.getByRole("alert").waitFor();
  results.users_section = await page.getByRole("alert").innerText();
}
