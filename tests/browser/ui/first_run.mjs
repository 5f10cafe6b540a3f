// First run: a new deployment sends the visitor to create the administrator, who is then signed
// in and lands on the start page.
export default async function ({ page, config, shot, check, results }) {
  await page.goto(`${config.base}/leads`);
  await page.getByRole("heading", { level: 1, name: "Create the administrator" }).waitFor();
  check(new URL(page.url()).pathname === "/setup", `setup screen at /setup, got ${page.url()}`);
  await shot("setup");
  // The API's own validation, beside the field it names.
  await page.getByLabel("Your name").fill("Anna Admin");
  await page.getByLabel("E-mail").fill(config.email);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create administrator" }).click();
  const passwordError = page.getByText("must be at least 10 characters");
  await passwordError.waitFor();
  check((await page.getByLabel("Password").getAttribute("aria-invalid")) === "true", "the password is marked invalid");
  await page.getByLabel("Password").fill(config.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await page.getByText("The administrator account is ready.").waitFor();
  results.token_shown = (await page.getByText(/^crm_\d+_/).innerText()).trim();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { level: 1, name: "Hello, Anna Admin" }).waitFor();
  check(new URL(page.url()).pathname === "/", "the start page");
  // The administrator may change settings: the link is offered.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).waitFor();
  await shot("start");
}
