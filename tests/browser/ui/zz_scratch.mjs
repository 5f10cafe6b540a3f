import { signIn, open } from "./lib.mjs";
export default async function ({ page, config, check, shot }) {
  await signIn(page, config);
  await open(page, config, "/settings/users", "Users");
  await page.getByRole("button", { name: "New user" }).click();
  const d = page.getByRole("dialog");
  await d.getByLabel("Name").fill("Mark Manager");
  await d.getByLabel("E-mail").fill("mark@example.com");
  await d.getByLabel("Password").fill("short");
  await d.getByRole("button", { name: "Save" }).click();
  await d.getByText("must be at least 10 characters").waitFor();
  await shot("scratch-user-error");
  await d.getByLabel("Password").fill("velvet harbor compass 9");
  await d.getByRole("button", { name: "Save" }).click();
  await page.getByRole("rowheader", { name: "Mark Manager" }).waitFor();
  await shot("scratch-users");
}
