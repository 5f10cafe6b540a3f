// Steps the UI scenarios share, written as a person uses the app.

/** Signs in on the sign-in page (opening it if needed) and waits for the start page or `next`. */
export async function signIn(page, config, email = config.email, password = config.password) {
  if (!page.url().includes("/login")) await page.goto(`${config.base}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

/** Opens a screen by its address and waits for its heading. */
export async function open(page, config, path, heading) {
  await page.goto(config.base + path);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** The visible rows of the records table (header excluded), as their title links' texts. */
export async function rowTitles(page) {
  const table = page.getByRole("table");
  if (!(await table.count())) return [];
  return table.getByRole("rowheader").allInnerTexts();
}

/** Waits until `fn()` is truthy (polling), failing with `message` after the timeout. */
export async function eventually(fn, message, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`never happened: ${message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
