// Someone saves the lead while it is open for editing: saving over it answers 412, shown as
// "changed meanwhile" with the newer values; the person keeps their change on purpose.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot, check, api }) {
  await signIn(page, config);
  await open(page, config, `/leads/${config.lead_id}`, config.title);
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Lead name").fill("Mine, from the form");

  // Meanwhile, another client changes the title and the comments.
  const before = await api("GET", `/api/leads/${config.lead_id}`);
  const other = await api("PATCH", `/api/leads/${config.lead_id}`, { title: "Changed by Boris", comments: "Boris was here" }, {
    "if-match": `"${before.body.version}"`,
  });
  check(other.status === 200, `the other save went through: ${other.status}`);

  await page.getByRole("button", { name: "Save", exact: true }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Changed meanwhile" });
  await alert.waitFor();
  check(await alert.getByRole("cell", { name: "Changed by Boris" }).isVisible(), "the newer title is shown");
  check(await alert.getByRole("cell", { name: "Boris was here" }).isVisible(), "the newer comments are shown");
  check(await alert.getByRole("cell", { name: "Mine, from the form" }).isVisible(), "my value is shown beside");
  await shot("conflict");
  await alert.getByRole("button", { name: "Save my changes over theirs" }).click();
  await page.getByRole("heading", { level: 1, name: "Mine, from the form" }).waitFor();
  // Their other change survives: only what I changed was sent.
  await page.getByRole("definition").filter({ hasText: "Boris was here" }).waitFor();
}
