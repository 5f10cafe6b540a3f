// The administrator builds the firm's structure in the settings and it holds for a manager:
// a department tree ("Sales" with "Sales East"; a third department moved by drag and drop and
// back by the keyboard; a cycle and deleting a used department refused with the API's reason),
// a manager created in "Sales East" through the Users section, a role with "own" deals that may
// not move deals into Won (the matrix grid and the stage checkboxes), given to the manager on
// the role's page; the API's field error lands beside its cell, a change made meanwhile is a
// 412 said as such, deleting a used or system role is refused with the API's reason. Then the
// manager signs in: only their own deal in the list, and a move into Won is refused with the
// reason while the card stays.
import { signIn, open, rowTitles, eventually } from "./lib.mjs";

export default async function ({ page, config, check, shot, api, results }) {
  const mila = { name: "Mila Manager", email: config.manager_email || "mila@example.com", password: config.manager_password || "velvet harbor compass 9" };
  const mine = "Mila's harbour deal";
  const theirs = "Anna's private deal";
  check((await api("POST", "/api/deals", { title: theirs })).status === 201, "the administrator's deal");

  await signIn(page, config);
  await departments(page, config, check, shot);
  await newUser(page, config, mila);
  const found = await api("GET", `/api/users?filter[email]=${encodeURIComponent(mila.email)}`);
  const milaId = found.body.items[0].id;
  check((await api("POST", "/api/deals", { title: mine, responsible_id: milaId })).status === 201, "the manager's deal");
  results.role_id = await role(page, config, check, shot, api, mila);

  // A department with members is not deleted either; the member is counted.
  await open(page, config, "/settings/departments", "Departments");
  await page.getByText("1 member", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Delete Sales East", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await page.getByRole("alert").filter({ hasText: "the department has users" }).waitFor();

  // At 360 px both screens fit without scrolling sideways.
  await page.setViewportSize({ width: 360, height: 780 });
  for (const [path, heading] of [["/settings/departments", "Departments"], [`/settings/roles/${results.role_id}`, /^Role: /], ["/settings/roles", "Roles"]]) {
    await open(page, config, path, heading);
    const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
    check(sizes.scroll <= sizes.width, `${path}: ${sizes.scroll}px wide in a ${sizes.width}px window`);
  }
  await shot("access-role-360");
  await page.setViewportSize(config.viewport || { width: 1280, height: 860 });

  // Sign out, sign in as the manager.
  await page.getByLabel(`Account: ${config.name || "Anna Admin"}`).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await signIn(page, config, mila.email, mila.password);
  const nav = page.getByRole("navigation", { name: "Main" });
  check(!(await nav.getByRole("link", { name: "Settings" }).count()), "no settings for the manager");
  await open(page, config, "/deals", "Deals");
  const titles = await rowTitles(page);
  results.manager_deals = titles;
  check(JSON.stringify(titles) === JSON.stringify([mine]), `only the manager's own deal: ${titles}`);

  await open(page, config, "/deals/board", "Deals board");
  await page.getByRole("link", { name: mine }).waitFor();
  check(!(await page.getByRole("link", { name: theirs }).count()), "the board hides the administrator's deal");
  await page.getByRole("button", { name: `Move ${mine}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Won", exact: true }).click();
  const refused = page.getByRole("alert").filter({ hasText: `${mine} was not moved` });
  await refused.waitFor();
  results.won_refused = await refused.innerText();
  check(results.won_refused.includes("may not put a deal into WON"), `the reason: ${results.won_refused}`);
  await shot("access-manager-board");
}

/** Builds Sales > Sales East, moves Support by drag and drop and back by keyboard; refusals. */
async function departments(page, config, check, shot) {
  await open(page, config, "/settings/departments", "Departments");
  const create = async (name, parent) => {
    await page.getByRole("button", { name: "New department" }).click();
    const dialog = page.getByRole("dialog", { name: "New department" });
    await dialog.getByLabel("Name").fill(name);
    if (parent) await dialog.getByLabel("Parent department").selectOption({ label: parent });
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByText(name, { exact: true }).waitFor();
  };
  await create("Sales");
  await create("Sales East", "Sales");
  await create("Support");
  const item = (name) => page.getByRole("listitem").filter({ has: page.getByText(name, { exact: true }) });
  check(await item("Sales").getByText("Sales East", { exact: true }).count(), "Sales East is under Sales");

  // By mouse: Support onto Sales; it is then drawn inside Sales' item.
  await page.getByText("Support", { exact: true }).dragTo(page.getByText("Sales", { exact: true }));
  await page.getByRole("status").filter({ hasText: "Support is under Sales now." }).waitFor();
  await eventually(async () => (await item("Sales").getByText("Support", { exact: true }).count()) === 1, "Support is drawn under Sales");
  // By keyboard: its Move button, the parent picked in the dialog (none: top level).
  await page.getByRole("button", { name: "Move Support" }).focus();
  await page.keyboard.press("Enter");
  const move = page.getByRole("dialog", { name: "Move Support under" });
  await move.getByLabel("Parent department").selectOption({ label: "—" });
  await move.getByRole("button", { name: "Save" }).click();
  await move.waitFor({ state: "detached" });
  await eventually(async () => (await item("Sales").getByText("Support", { exact: true }).count()) === 0, "Support is top-level again");

  // A cycle: Sales onto its own child. The API's reason is shown.
  await page.getByText("Sales", { exact: true }).dragTo(page.getByText("Sales East", { exact: true }));
  await page.getByRole("alert").filter({ hasText: "Sales was not moved: a department cannot be placed under itself or below itself" }).waitFor();
  // Deleting a department with sub-departments: refused with the API's reason.
  await page.getByRole("button", { name: "Delete Sales", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await page.getByRole("alert").filter({ hasText: "the department has sub-departments" }).waitFor();
  await shot("access-departments");
}

/** Creates the manager in Sales East through the Users section's dialog. */
async function newUser(page, config, person) {
  await open(page, config, "/settings/users", "Users");
  await page.getByRole("button", { name: "New user" }).click();
  const dialog = page.getByRole("dialog", { name: "New user" });
  await dialog.getByLabel("Name").fill(person.name);
  await dialog.getByLabel("E-mail").fill(person.email);
  await dialog.getByLabel("Password").fill(person.password);
  await dialog.getByLabel("Department").selectOption({ label: "Sales East" });
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByRole("rowheader", { name: person.name }).waitFor();
}

/** Creates the role, gives it to the manager; field error, 412 and refused deletes on the way. */
async function role(page, config, check, shot, api, person) {
  await open(page, config, "/settings/roles", "Roles");
  await page.getByRole("link", { name: "New role" }).click();
  await page.getByRole("heading", { level: 1, name: "New role" }).waitFor();
  await page.getByLabel("Name").fill("Sales manager");
  await page.getByLabel("Code").fill("sales_manager");
  const cells = { "Deals: read": "Own", "Deals: add": "Own", "Deals: update": "Own", "Activities: read": "Own", "Activities: add": "Own", "Contacts: read": "Own", "Companies: read": "Own", "Products: read": "All" };
  for (const [cell, level] of Object.entries(cells)) await page.getByLabel(cell, { exact: true }).selectOption({ label: level });
  const moveInto = page.getByRole("group", { name: "Deals: stages the role may move deals into" });
  await moveInto.getByRole("radio", { name: "Only the checked ones" }).check();
  await moveInto.getByRole("group", { name: "Sales" }).getByRole("checkbox", { name: "Won" }).uncheck();
  await page.getByRole("button", { name: "Create role" }).click();
  await page.getByRole("heading", { level: 1, name: "Role: Sales manager" }).waitFor();
  const id = Number(new URL(page.url()).pathname.split("/").pop());
  check(id > 0, `the role's page: ${page.url()}`);
  check((await page.getByLabel("Deals: read", { exact: true }).inputValue()) === "own", "the saved matrix is shown");

  // Give it to the manager.
  await page.getByLabel("User", { exact: true }).selectOption({ label: person.name });
  await page.getByRole("button", { name: "Give the role to this user" }).click();
  await page.getByRole("button", { name: `Take the role away from ${person.name}` }).waitFor();

  // A level the API does not know (an outdated page, say): its error lands beside its cell.
  const reports = page.getByLabel("Reports: read", { exact: true });
  await reports.evaluate((select) => {
    select.append(new Option("most", "most"));
    select.value = "most";
  });
  await page.getByRole("button", { name: "Save" }).click();
  const beside = await eventually(async () => {
    const text = await reports.evaluate((s) => s.closest("td").querySelector(".field-error:not([hidden])")?.textContent);
    return text;
  }, "the error beside the Reports: read cell");
  check(beside.includes("not one of none, own"), `the API's message beside the cell: ${beside}`);
  check((await reports.getAttribute("aria-invalid")) === "true", "the cell is marked invalid");
  await shot("access-role-field-error");
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Role: Sales manager" }).waitFor();

  // Someone renames the role meanwhile: saving says so and keeps nothing.
  check((await api("PATCH", `/api/roles/${id}`, { name: "Sales manager (East)" })).status === 200, "the change meanwhile");
  await page.getByLabel("Leads: read", { exact: true }).selectOption({ label: "All" });
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("alert").filter({ hasText: "Someone changed this role meanwhile." }).waitFor();
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Role: Sales manager (East)" }).waitFor();

  // Deleting it while it is assigned, and deleting a system role: refused with the reason.
  await page.getByRole("button", { name: "Delete role" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete role" }).click();
  await page.getByRole("alert").filter({ hasText: "the role is still assigned" }).waitFor();
  await shot("access-role");
  await open(page, config, "/settings/roles", "Roles");
  await page.getByRole("link", { name: "Manager", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Role: Manager" }).waitFor();
  check(await page.getByLabel("Code").getAttribute("readonly") !== null, "a system role's code is fixed");
  await page.getByRole("button", { name: "Delete role" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete role" }).click();
  await page.getByRole("alert").filter({ hasText: "a system role cannot be deleted" }).waitFor();
  return id;
}
