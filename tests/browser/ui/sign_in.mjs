// Sign-in: a deep link while signed out goes to sign-in and back; a wrong password is said so;
// an expired session sends the person to sign in and back to where they were; sign-out ends it.
import { eventually } from "./lib.mjs";

export default async function ({ page, context, config, shot, check }) {
  await page.goto(`${config.base}/leads/${config.lead_id}`);
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  check(page.url().includes("next=%2Fleads%2F"), `the original address is kept: ${page.url()}`);
  await page.getByLabel("E-mail").fill(config.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Wrong e-mail or password." }).waitFor();
  await shot("sign-in-wrong-password");
  await page.getByLabel("Password").fill(config.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: config.lead_title }).waitFor();
  check(new URL(page.url()).pathname === `/leads/${config.lead_id}`, "back at the lead");

  // The session ends behind the page's back (expiry): the next call's 401 leads to sign-in.
  await context.clearCookies();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts" }).click();
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  check(page.url().includes("next=%2Fcontacts"), `sign-in remembers the screen asked for: ${page.url()}`);
  await page.getByLabel("E-mail").fill(config.email);
  await page.getByLabel("Password").fill(config.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Contacts" }).waitFor();

  // Sign out from the account menu.
  await page.getByText(config.name, { exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await page.goto(`${config.base}/contacts`);
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await eventually(async () => (await context.cookies()).every((c) => c.name !== "crm_session" || !c.value), "the cookie is gone", 3000).catch(() => {});
}
