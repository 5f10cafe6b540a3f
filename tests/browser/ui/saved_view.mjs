// A filter built from /fields narrows the list; saved as a view it survives a reload, and the
// view picker brings it back after looking at everything.
import { signIn, rowTitles, eventually } from "./lib.mjs";

export default async function ({ page, config, shot, check, results }) {
  await signIn(page, config);
  await page.goto(`${config.base}/leads`);
  await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
  check((await rowTitles(page)).length === 3, "three leads at first");
  await page.getByText("Filters", { exact: true }).click();
  await page.getByLabel("Filter 1: field").selectOption({ label: "Status" });
  await page.getByLabel("Filter 1: condition").selectOption({ label: "is" });
  await page.getByLabel("Filter 1: value").selectOption({ label: "In progress" });
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.getByRole("status").filter({ hasText: /^1 record$/ }).waitFor();
  check(JSON.stringify(await rowTitles(page)) === JSON.stringify([config.in_progress]), `only the lead in progress: ${await rowTitles(page)}`);
  check(new URL(page.url()).searchParams.get("filter[status]") === "IN_PROCESS", `the filter is in the URL: ${page.url()}`);

  // Sort by a column: the header button, state in the URL.
  await page.getByRole("button", { name: "Lead name" }).click();
  await eventually(() => new URL(page.url()).searchParams.get("sort") === "title", "sorted by title");
  await page.locator('th[aria-sort="ascending"]', { hasText: "Lead name" }).waitFor();

  await page.getByRole("button", { name: "Save view" }).click();
  const dialog = page.getByRole("dialog", { name: "Save this list as a view" });
  await dialog.getByLabel("View name").fill("Leads in progress");
  await dialog.getByLabel("Share with everyone").check();
  await dialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "Leads: Leads in progress" }).waitFor();
  results.view_url = page.url();
  await shot("list-view");

  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Leads: Leads in progress" }).waitFor();
  check((await rowTitles(page)).length === 1, "still one lead after reload");
  check((await page.getByLabel("View", { exact: true }).inputValue()) !== "", "the view stays selected");

  await page.getByLabel("View", { exact: true }).selectOption({ label: "All records" });
  await page.getByRole("heading", { level: 1, name: "Leads" }).waitFor();
  await eventually(async () => (await rowTitles(page)).length === 3, "all three leads again");
  await page.getByLabel("View", { exact: true }).selectOption({ label: "Leads in progress (shared)" });
  await page.getByRole("heading", { level: 1, name: "Leads: Leads in progress" }).waitFor();
  check((await rowTitles(page)).length === 1, "the view narrows the list again");
  // Back goes to the unfiltered list, as the browser's history says.
  await page.goBack();
  await eventually(async () => (await rowTitles(page)).length === 3, "back shows all three");
}
