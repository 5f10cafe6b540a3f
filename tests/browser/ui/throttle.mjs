// Five wrong passwords in a row: the sixth attempt is refused with the wait from Retry-After.
export default async function ({ page, config, shot, check, results }) {
  await page.goto(`${config.base}/login`);
  await page.getByLabel("E-mail").fill(config.email);
  for (let i = 0; i < 5; i++) {
    await page.getByLabel("Password").fill(`wrong password ${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong e-mail or password." }).waitFor();
  }
  await page.getByLabel("Password").fill(config.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Too many attempts." });
  await alert.waitFor();
  results.message = await alert.innerText();
  check(/Try again in \d+ (minute|minutes|seconds?)\./.test(results.message), `the wait is named: ${results.message}`);
  await shot("sign-in-throttled");
}
