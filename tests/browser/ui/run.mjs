// Runs one UI scenario (a module in this folder) in Debian's chromium through playwright-core
// and prints the outcome as one JSON line: {"ok", "error"?, "url", "console", "page_errors",
// "dialogs", "results"}. Used by tests/e2e/ui_browser.rs, one Rust test per scenario.
//
// Usage: node ui/run.mjs <scenario> < config.json
// The config: {"base": "http://127.0.0.1:PORT", "shots": "<dir for screenshots>",
// "viewport": {"width", "height"}?, "locale"?: "en-US", ...whatever the scenario needs}.
//
// A scenario drives the UI as a person would: by roles, labels and visible text, never by CSS
// selectors. It gets {page, context, config, shot(name), api(method, path, body?), check,
// results} and may put values into `results` for the Rust side to assert.

import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const name = process.argv[2];
const config = JSON.parse(readFileSync(0, "utf8"));
const out = { ok: false, results: {}, url: null, console: [], page_errors: [], dialogs: [] };

/** Fails the scenario with `message` unless `condition` holds. */
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** The API as a script would call it, with the Bearer token the test made (`config.token`). */
async function api(method, path, body, headers = {}) {
  const response = await fetch(config.base + path, {
    method,
    headers: {
      authorization: `Bearer ${config.token}`,
      ...(body ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  timeout: 60000,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let page;
try {
  const context = await browser.newContext({
    viewport: config.viewport || { width: 1280, height: 860 },
    locale: config.locale || "en-US",
  });
  context.setDefaultTimeout(Number(config.timeout_ms || 15000));
  page = await context.newPage();
  page.on("console", (m) => out.console.push({ type: m.type(), text: m.text() }));
  page.on("pageerror", (e) => out.page_errors.push(String(e)));
  page.on("dialog", async (d) => {
    out.dialogs.push({ type: d.type(), message: d.message() });
    await d.dismiss().catch(() => {});
  });
  if (config.shots) mkdirSync(config.shots, { recursive: true });
  const shot = async (file) => {
    if (!config.shots) return;
    await page.screenshot({ path: join(config.shots, `${file}.png`), fullPage: true });
  };
  const scenario = await import(`./${name}.mjs`);
  await scenario.default({ page, context, config, shot, api, check, results: out.results });
  out.ok = true;
} catch (error) {
  out.error = String((error && error.stack) || error);
  if (page) {
    out.html = await page.content().catch(() => null);
    if (config.shots) await page.screenshot({ path: join(config.shots, `FAILED-${name}.png`), fullPage: true }).catch(() => {});
  }
} finally {
  if (page) out.url = page.url();
  await browser.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exitCode = out.ok ? 0 : 1;
