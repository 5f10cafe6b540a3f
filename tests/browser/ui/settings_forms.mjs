// The web forms settings end to end: the administrator builds a form (fields added, mapped,
// reordered and removed by buttons; a bad allowed origin is refused beside its field), saves
// it, sees the preview, copies the script embed snippet onto a page of another origin (a
// server started here), a visitor fills and sends the embedded form there, and back in the
// CRM the lead is in the list and the submission in the form's log, its payload shown as
// text; a quarantined submission is released from the log. A save over someone else's change
// says so.
import { createServer } from "node:http";
import { signIn, open } from "./lib.mjs";

/** A page of "another site" holding `snippet()`, on 127.0.0.1 at a free port. */
async function otherSite(snippet) {
  const server = createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Petrov shop</title></head>
<body><h1>Write to us</h1>\n${snippet()}\n</body></html>`);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

export default async function ({ page, context, config, shot, api, check, results }) {
  let snippet = "";
  const { server, origin } = await otherSite(() => snippet);
  results.origin = origin;
  try {
    await signIn(page, config);
    await open(page, config, "/settings/forms", "Web forms");
    await page.getByRole("link", { name: "New form" }).click();
    await page.getByRole("heading", { level: 1, name: "New web form" }).waitFor();
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("Website enquiry");

    // Four fields by the button (it suggests name, phone, e-mail, comments), then the fourth
    // mapped to the company, moved above the e-mail, and a fifth added and removed.
    const add = page.getByRole("button", { name: "Add field" });
    for (let i = 0; i < 5; i++) await add.click();
    const field = (n) => page.getByRole("group", { name: `Field ${n}`, exact: true });
    await field(5).getByRole("button", { name: "Remove field 5" }).click();
    check((await page.getByRole("group", { name: /^Field \d$/ }).count()) === 4, "four fields after removing one");
    await field(1).getByLabel("English").fill("Your name");
    await field(1).getByLabel("Russian").fill("Ваше имя");
    await field(1).getByLabel("Required").check();
    check((await field(2).getByLabel("CRM field").inputValue()) === "phone", "the second field is the phone");
    await field(4).getByLabel("CRM field").selectOption({ label: "Company name" });
    check((await field(4).getByLabel("Name it posts").inputValue()) === "company_title", "the mapping names the field");
    await field(4).getByRole("button", { name: "Move field 4 up" }).click();
    check(
      (await field(3).getByLabel("CRM field").inputValue()) === "company_title" &&
        (await field(4).getByLabel("CRM field").inputValue()) === "email",
      "the company field moved above the e-mail",
    );
    await page.getByLabel("Success message").fill("Thanks! We will call you back today.");
    await page.getByLabel("Sites that may embed the form").fill("not an origin");
    await page.getByRole("button", { name: "Create form" }).click();
    const originError = await page.getByText(/^not an origin: /).textContent();
    results.origin_error = originError;
    const origins = page.getByLabel("Sites that may embed the form");
    check((await origins.getAttribute("aria-invalid")) === "true", "the field with the bad origin is marked");
    check((await origins.getAttribute("aria-describedby")).includes("f-allowed_origins-error"), "its error describes it");
    await page.getByLabel("Sites that may embed the form").fill(origin);
    await page.getByRole("button", { name: "Create form" }).click();
    await page.getByRole("heading", { level: 1, name: "Website enquiry" }).waitFor();
    results.form_id = Number(new URL(page.url()).pathname.split("/").pop());

    // The preview shows the hosted page; the snippet is read as a person would copy it.
    const preview = page.getByTitle("Preview of Website enquiry").contentFrame();
    await preview.getByLabel("Your name").waitFor();
    await page.getByRole("button", { name: "Copy: Embed with a script" }).click();
    snippet = await page.getByLabel("Embed with a script", { exact: true }).inputValue();
    results.snippet = snippet;
    check(snippet.includes(`/f/`) && snippet.includes(".js"), `a script snippet: ${snippet}`);
    await shot("settings-forms-builder");

    // A visitor on the other site fills the embedded form (not faster than a person: the
    // form's time token wants two seconds) and sends it.
    const shop = await context.newPage();
    const shopErrors = [];
    shop.on("pageerror", (e) => shopErrors.push(String(e)));
    await shop.goto(`${origin}/`);
    await shop.getByLabel("Your name").waitFor();
    await shop.getByLabel("Your name").fill("Ivan Petrov");
    await shop.getByLabel("Phone").fill("+7 999 123-45-67");
    await shop.getByLabel("Company name").fill("Petrov Trading");
    await shop.getByLabel("E-mail").fill("ivan.petrov@example.com");
    await shop.waitForTimeout(2200);
    await shop.getByRole("button", { name: "Send" }).click();
    await shop.getByText("Thanks! We will call you back today.").waitFor();
    check(shopErrors.length === 0, `the shop page ran cleanly: ${shopErrors}`);
    await shop.screenshot({ path: `${config.shots}/settings-forms-shop.png` }).catch(() => {});
    await shop.close();

    // The lead is in the CRM's list.
    await open(page, config, "/leads", "Leads");
    results.lead_title = "Website enquiry: Ivan Petrov";
    await page.getByRole("link", { name: results.lead_title, exact: true }).waitFor();

    // The submission is in the form's log: accepted, linked to the lead, its payload as text.
    await open(page, config, "/settings/forms", "Web forms");
    await page.getByRole("link", { name: "Website enquiry", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Website enquiry" }).waitFor();
    const log = page.getByRole("region", { name: "Submissions" });
    // (On a phone a cell's name starts with its column's name: "Outcome: Accepted".)
    await log.getByRole("cell", { name: /Accepted$/ }).waitFor();
    results.outcome = "Accepted";
    const leadLink = log.getByRole("link", { name: /^Lead #\d+$/ });
    results.lead_link = await leadLink.getAttribute("href");
    await log.getByRole("button", { name: /^Payload of submission \d+$/ }).click();
    const dialog = page.getByRole("dialog", { name: /^Submission \d+$/ });
    results.payload = await dialog.locator("pre").textContent();
    check(results.payload.includes("ivan.petrov@example.com"), `the payload as sent: ${results.payload}`);
    results.payload_elements = await dialog.locator("pre *").count();
    await shot("settings-forms-payload");
    await dialog.getByRole("button", { name: "Close" }).click();

    // A person's post that tripped the spam guard (the honeypot filled) waits in quarantine
    // until released from the log.
    const spam = await fetch(`${config.base}/f/${snippet.match(/\/f\/(\w+)\.js/)[1]}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ name: "Maria Sidorova", email: "maria@example.com", _hp: "autofilled" }),
    });
    check(spam.status === 201, `the quarantined post is answered like a success: ${spam.status}`);
    await log.getByLabel("Outcome").selectOption({ label: "Quarantined as spam" });
    await log.getByRole("button", { name: /^Release submission \d+ into the CRM$/ }).click();
    await log.getByText("No submissions.").waitFor();
    await log.getByLabel("Outcome").selectOption({ label: "All" });
    await log.getByRole("cell", { name: /Released/ }).waitFor();
    const outcomes = await log.getByRole("cell", { name: /Accepted|Released/ }).allInnerTexts();
    results.outcomes = outcomes.map((text) => text.split("\n")[0].trim());
    await shot("settings-forms-log");

    // Someone else saves the form meanwhile: my save says so and changes nothing.
    const theirs = await api("PATCH", `/api/forms/${results.form_id}`, { source_description: "Changed by Boris" });
    check(theirs.status === 200, `their change: ${JSON.stringify(theirs)}`);
    await page.getByLabel("“Call the client” task due in (minutes)").fill("30");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    results.stale_message = await page.getByRole("alert").filter({ hasText: "changed this form meanwhile" }).textContent();
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Website enquiry" }).waitFor();
    await page.getByLabel("“Call the client” task due in (minutes)").fill("30");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("Saved.").waitFor({ state: "attached" });
    await shot("settings-forms-saved");
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
