// Runs one browser scenario in Debian's chromium through playwright-core and prints the
// outcome as one JSON object on stdout. Used by tests/e2e/browser.rs; `.ci/run` installs
// chromium and `npm ci` here.
//
// Usage: node run.mjs '<scenario JSON>'   or   node run.mjs < scenario.json
//
// A scenario is {"steps": [...], "timeout_ms": 15000, "javascript": true,
// "screenshot_on_failure": "/tmp/x.png"}; "javascript": false runs the pages without scripts.
// Each step is an object with one action key:
//   {"goto": url}                          open a page and wait for its load event
//   {"fill_label": text, "value": v}       type into the control labelled `text`
//   {"check_label": text}                  tick the checkbox labelled `text`
//   {"click_button": name}                 click the button with that accessible name
//   {"wait_ms": n}                         wait n milliseconds
//   {"wait_url": substring}                wait until the address contains it
//   {"wait_text": text}                    wait until the text is visible on the page
//   {"wait_selector": css}                 wait until an element matching it is visible
//   {"value": css}                         result: the value of the first matching control
//   {"text": css}                          result: the text of the first matching element
//   {"attribute": css, "name": a}          result: an attribute of the first matching element
//   {"count": css}                         result: how many elements match
//   {"eval": js}                           result: the value of a page expression (JSON-able)
//   {"screenshot": path}                   save a PNG of the page
// The output: {"ok", "results": [per step: value or null], "url", "console": [{type, text}],
// "page_errors": [..], "error"?: message, "failed_step"?: index, "html"?: page on failure}.

import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function readScenario() {
  const arg = process.argv[2];
  const text = arg && arg !== "-" ? arg : readFileSync(0, "utf8");
  return JSON.parse(text);
}

async function runStep(page, step, timeout) {
  if ("goto" in step) {
    await page.goto(step.goto, { waitUntil: "load", timeout });
    return null;
  }
  if ("fill_label" in step) {
    await page.getByLabel(step.fill_label).fill(String(step.value), { timeout });
    return null;
  }
  if ("check_label" in step) {
    await page.getByLabel(step.check_label).check({ timeout });
    return null;
  }
  if ("click_button" in step) {
    await page.getByRole("button", { name: step.click_button }).click({ timeout });
    return null;
  }
  if ("wait_ms" in step) {
    await page.waitForTimeout(Number(step.wait_ms));
    return null;
  }
  if ("wait_url" in step) {
    await page.waitForURL((url) => url.href.includes(step.wait_url), { timeout });
    return page.url();
  }
  if ("wait_text" in step) {
    await page.getByText(step.wait_text).first().waitFor({ state: "visible", timeout });
    return null;
  }
  if ("wait_selector" in step) {
    await page.locator(step.wait_selector).first().waitFor({ state: "visible", timeout });
    return null;
  }
  if ("value" in step) {
    return await page.locator(step.value).first().inputValue({ timeout });
  }
  if ("text" in step) {
    return await page.locator(step.text).first().innerText({ timeout });
  }
  if ("attribute" in step) {
    return await page.locator(step.attribute).first().getAttribute(step.name, { timeout });
  }
  if ("count" in step) {
    return await page.locator(step.count).count();
  }
  if ("eval" in step) {
    return await page.evaluate(step.eval);
  }
  if ("screenshot" in step) {
    await page.screenshot({ path: step.screenshot, fullPage: true });
    return step.screenshot;
  }
  throw new Error("unknown step " + JSON.stringify(step));
}

async function main() {
  const scenario = readScenario();
  const timeout = Number(scenario.timeout_ms || 15000);
  const out = { ok: false, results: [], url: null, console: [], page_errors: [] };
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: 60000,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  let page;
  try {
    const context = await browser.newContext({ javaScriptEnabled: scenario.javascript !== false });
    page = await context.newPage();
    page.on("console", (message) => out.console.push({ type: message.type(), text: message.text() }));
    page.on("pageerror", (error) => out.page_errors.push(String(error)));
    const steps = scenario.steps || [];
    for (let i = 0; i < steps.length; i++) {
      try {
        out.results.push(await runStep(page, steps[i], timeout));
      } catch (error) {
        out.failed_step = i;
        throw error;
      }
    }
    out.ok = true;
  } catch (error) {
    out.error = String((error && error.message) || error);
    if (page) {
      out.html = await page.content().catch(() => null);
      if (scenario.screenshot_on_failure) {
        await page.screenshot({ path: scenario.screenshot_on_failure, fullPage: true }).catch(() => {});
      }
    }
  } finally {
    if (page) out.url = page.url();
    await browser.close().catch(() => {});
  }
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exitCode = out.ok ? 0 : 1;
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String((error && error.stack) || error) }) + "\n");
  process.exitCode = 1;
});
