// Screen times for `cargo xtask bench ui` (xtask/src/ui_bench.rs), in Debian's chromium through
// playwright-core. Not a test: it measures and prints, nothing passes or fails on a number.
//
// Usage: node bench/screens.mjs < config.json, where the config is
// {"base", "reps", "floor", "start", "users": [{"role", "email", "password"}],
//  "screens": [{"name", "path"} | {"name", "search": text}]}.
// Prints one JSON line: {"ok", "error"?, "results": [{"screen", "role", "mode", "heading",
// "error_shown", "runs": [{"draw_after_api", "total", "calls", "late", "rounds", "apis"}]}]}.
//
// The UI marks `api:answered` when an API answer's body was parsed (static/api.js) and
// `screen:drawn` once a mounted screen was laid out in the next animation frame (static/app.js).
// Per run: draw after API = `screen:drawn` minus the last `api:answered` before the router
// mounted the screen (marked here when it clears `aria-busy` on <main>), or minus the start when
// the screen waited for no answer; total = from the navigation's start (the document's time
// origin for a full load, a mark just before the click for an in-app one); calls = the answers
// the screen waited for; late = answers after the mounting (panels that fill in), counted once
// no API request has been in flight for 150 ms; rounds = the longest chain of the calls waited
// for, each started after the previous one's answer (a waterfall); apis = [path, ms from request
// start to response end, late] per call (Resource Timing); error_shown = the text of visible
// error notices.
// The global search is no screen: its panel's drawing is marked here the same way (the next
// animation frame after the results are in the DOM, layout forced); its total includes the
// box's 250 ms debounce.
//
// Modes: "load" opens the address (a full page load), "app" starts from the `start` address (the
// not-found screen) and clicks a link to it (the main navigation's, else one put in the page),
// as the app's own links do. Each round measures the floor and every screen in both modes, so a
// busy moment of the machine hits them alike; round 0 is a warm-up and not kept.

import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const config = JSON.parse(readFileSync(0, "utf8"));
const out = { ok: false, results: [] };
const log = (text) => process.stderr.write(`${text}\n`);

/** In the page: waits for `screen:drawn` of `path` (or the search panel's mark) after `since`. */
async function waitDrawn({ path, since, search }) {
  const limit = Date.now() + 60000;
  const drawn = () =>
    performance
      .getEntriesByName(search ? "bench:search-drawn" : "screen:drawn", "mark")
      .find((m) => m.startTime >= since && (search || m.detail === path));
  while (!drawn()) {
    if (Date.now() > limit) throw new Error(`${path}: not drawn within 60 s (at ${location.pathname})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return drawn().startTime;
}

/** In the page, once settled: the run's figures from the marks and Resource Timing. */
function read({ since, drawn, search }) {
  const after = (name) => performance.getEntriesByName(name, "mark").filter((m) => m.startTime >= since);
  const answers = after("api:answered");
  const mounted = after("bench:mounted").filter((m) => m.startTime <= drawn).pop()?.startTime ?? drawn;
  const before = answers.filter((m) => m.startTime <= mounted);
  const last = before.length ? before[before.length - 1].startTime : since;
  const fetches = performance
    .getEntriesByType("resource")
    .filter((r) => r.initiatorType === "fetch" && r.startTime >= since)
    .map((r) => ({ url: new URL(r.name), start: r.startTime, end: r.responseEnd }))
    .filter((r) => r.url.pathname.startsWith("/api/"))
    .sort((a, b) => a.start - b.start);
  const onTime = fetches.filter((f) => f.end <= last);
  const depth = [];
  onTime.forEach((f, i) => {
    depth[i] = 1 + Math.max(0, ...onTime.slice(0, i).map((g, j) => (g.end <= f.start ? depth[j] : 0)));
  });
  const main = document.getElementById("main");
  const errors = [...main.querySelectorAll(".notice.error")].filter((e) => e.offsetParent !== null);
  return {
    draw_after_api: drawn - last,
    total: drawn - since,
    calls: before.length,
    late: answers.length - before.length,
    rounds: Math.max(0, ...depth),
    apis: fetches.map((f) => [decodeURIComponent(f.url.pathname + f.url.search), f.end - f.start, f.end > last]),
    heading: search ? "search" : main.querySelector("h1")?.textContent.trim() ?? null,
    error_shown: errors.map((e) => e.textContent.trim()).join(" / ") || null,
  };
}

/** Waits for the drawing, then until no API request is in flight for 150 ms; the run's figures. */
async function collect(page, args) {
  const drawn = await page.evaluate(waitDrawn, args);
  const limit = Date.now() + 60000;
  for (let quiet = 0; quiet < 150 && Date.now() < limit; quiet = page.inflight.size ? 0 : quiet + 25) {
    await page.waitForTimeout(25);
  }
  return page.evaluate(read, { ...args, drawn });
}

/** In the page: marks the start and follows a link to `path` as a person's click would. */
function clickTo(path) {
  let link = document.querySelector(`#header nav a[href="${path}"]`);
  const made = !link;
  if (made) {
    link = document.createElement("a");
    link.href = path;
    link.hidden = true;
    document.body.append(link);
  }
  const since = performance.mark("bench:start").startTime;
  link.click();
  if (made) link.remove();
  return since;
}

/** In the page: types `text` into the global search box; resolves at once with the start. */
function typeSearch(text) {
  const input = document.getElementById("global-search");
  const panel = document.getElementById("search-results");
  const seen = new MutationObserver(() => {
    if (panel.hidden || !panel.children.length) return;
    seen.disconnect();
    requestAnimationFrame(() => {
      void panel.offsetHeight;
      performance.mark("bench:search-drawn");
    });
  });
  seen.observe(panel, { childList: true, attributes: true });
  const since = performance.mark("bench:start").startTime;
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  return since;
}

/** In the page: goes to `path` in the app and waits until it is drawn, then forgets all marks. */
async function goInApp(page, path) {
  const since = await page.evaluate((to) => {
    const at = performance.now();
    history.pushState(null, "", to);
    dispatchEvent(new PopStateEvent("popstate"));
    return at;
  }, path);
  await page.evaluate(waitDrawn, { path, since });
  await page.evaluate(() => {
    performance.clearMarks();
    performance.clearResourceTimings();
  });
}

async function measure(page, screen, mode) {
  if (screen.search) {
    await goInApp(page, config.start);
    const since = await page.evaluate(typeSearch, screen.search);
    const run = await collect(page, { path: "search", since, search: true });
    await page.evaluate(() => {
      const input = document.getElementById("global-search");
      input.value = "";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await page.waitForTimeout(400);
    return run;
  }
  const pathname = new URL(screen.path, config.base).pathname;
  if (mode === "load") {
    await page.goto(config.base + screen.path, { waitUntil: "commit" });
    return collect(page, { path: pathname, since: 0 });
  }
  await goInApp(page, config.start);
  const since = await page.evaluate(clickTo, screen.path);
  return collect(page, { path: pathname, since });
}

async function signIn(page, user) {
  await page.goto(`${config.base}/login`);
  await page.getByLabel("E-mail").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  timeout: 60000,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const screens = [{ name: "floor", path: config.floor }, ...config.screens];
  for (const user of config.users) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
    context.setDefaultTimeout(60000);
    // Marks when the router mounts a screen (it clears `aria-busy` on <main> just before): the
    // answers before it are the ones the screen waited for.
    await context.addInitScript(() => {
      new MutationObserver((records) => {
        const main = records.find((r) => r.target.id === "main")?.target;
        if (main && !main.hasAttribute("aria-busy")) performance.mark("bench:mounted");
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ["aria-busy"] });
    });
    const page = await context.newPage();
    page.on("pageerror", (e) => log(`page error (${user.role}): ${e}`));
    // API requests in flight (seen by the browser's network layer, not by the page).
    page.inflight = new Set();
    const api = (request) => new URL(request.url()).pathname.startsWith("/api/");
    page.on("request", (request) => api(request) && page.inflight.add(request));
    for (const done of ["requestfinished", "requestfailed"]) page.on(done, (request) => page.inflight.delete(request));
    await signIn(page, user);
    const results = new Map();
    for (let round = 0; round <= config.reps; round++) {
      log(`${user.role}: round ${round} of ${config.reps}`);
      for (const screen of screens) {
        for (const mode of screen.search ? ["app"] : ["load", "app"]) {
          const key = `${screen.name}\n${mode}`;
          if (!results.has(key)) results.set(key, { screen: screen.name, role: user.role, mode, runs: [] });
          const run = await measure(page, screen, mode);
          const result = results.get(key);
          result.heading = run.heading;
          result.error_shown = run.error_shown;
          if (round > 0) result.runs.push(run);
        }
      }
    }
    out.results.push(...results.values());
    await context.close();
  }
  out.ok = true;
} catch (error) {
  out.error = String((error && error.stack) || error);
} finally {
  await browser.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exitCode = out.ok ? 0 : 1;
