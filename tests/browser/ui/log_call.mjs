// Logging a call on a contact's card: it shows among the record's activities and on its timeline.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, shot }) {
  await signIn(page, config);
  await open(page, config, `/contacts/${config.contact_id}`, config.title);
  const acts = page.getByRole("region", { name: "Activities" });
  await acts.getByLabel("Type").selectOption({ label: "Call" });
  await acts.getByLabel("Subject").fill("Discussed the offer");
  await acts.getByLabel("Already done (log it)").check();
  await acts.getByRole("button", { name: "Add activity" }).click();
  await acts.getByRole("link", { name: "Discussed the offer" }).waitFor();
  const timeline = page.getByRole("region", { name: "Timeline" });
  await timeline.getByText(/Discussed the offer/).first().waitFor();
  await shot("contact-call-logged");
}
