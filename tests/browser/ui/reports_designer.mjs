// The owner copies a standard report, changes its first group in the designer, sees the preview
// follow, saves it and finds it in the list; a bad part of a definition (a limit over 1000)
// shows the API's 422 message beside that part.
import { signIn, open, eventually } from "./lib.mjs";
import { english, reportByCode, tableOf } from "./reports_lib.mjs";

export default async function ({ page, config, check, shot, api, results }) {
  await signIn(page, config);
  const report = await reportByCode(api, config.code);
  const name = english(report.name);
  await open(page, config, "/reports", "Reports");
  await page.getByRole("button", { name: `Copy ${name}`, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: `Edit: ${name} (copy)` }).waitFor();
  const preview = page.getByRole("region", { name: "Preview" });
  const first = await tableOf(preview);
  results.first_head = first.head;
  const fields = await api("GET", `/api/reports/fields?entity=${report.definition.entity}`);
  const group = fields.body.fields.find((f) => f.name === config.regroup);
  check(group, `the entity offers ${config.regroup}`);
  const label = english(group.label);
  check(first.head[0] !== label, `the copy starts grouped otherwise: ${first.head}`);
  await page.getByLabel("Group 1", { exact: true }).selectOption(config.regroup);
  const regrouped = await eventually(async () => {
    const table = await tableOf(preview);
    return table.head[0] === label ? table : null;
  }, `the preview is grouped by ${label}`);
  results.regrouped = regrouped;
  await shot("reports-designer");
  await page.getByLabel("Name", { exact: true }).fill(config.new_name);
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: config.new_name }).waitFor();
  const saved = await tableOf(page);
  check(saved.head[0] === label, `the saved report is grouped by ${label}: ${saved.head}`);
  await open(page, config, "/reports", "Reports");
  await page.getByRole("link", { name: config.new_name, exact: true }).waitFor();
  results.listed = true;

  // A limit of 5000: the API's message beside the limit.
  await open(page, config, "/reports/new", "New report");
  await tableOf(preview);
  const limit = page.getByLabel("Rows at most", { exact: true });
  await limit.fill("5000");
  await eventually(async () => (await limit.getAttribute("aria-invalid")) === "true", "the limit is marked invalid");
  const shown = await limit.evaluate((input) => document.getElementById(input.getAttribute("aria-describedby")).textContent);
  const problem = await api("POST", "/api/reports/run", { definition: { entity: "deals", measures: [{ fn: "count" }], chart: "bar", limit: 5000 } });
  check(problem.status === 422, `the API refuses the limit: ${problem.status}`);
  const expected = problem.body.errors.find((e) => /limit/.test(e.field)).message;
  results.limit_error = shown;
  check(shown.includes(expected), `beside the limit: ${shown}, the API says ${expected}`);
  await shot("reports-designer-422");
  await limit.fill("10");
  await eventually(async () => (await limit.getAttribute("aria-invalid")) === null, "fixing the limit clears the mark");
}
