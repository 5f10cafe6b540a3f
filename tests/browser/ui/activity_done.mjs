// A task planned on a deal's card, then marked done with a result.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config }) {
  await signIn(page, config);
  await open(page, config, `/deals/${config.deal_id}`, config.title);
  const acts = page.getByRole("region", { name: "Activities" });
  await acts.getByLabel("Type").selectOption({ label: "Task" });
  await acts.getByLabel("Subject").fill("Send the offer");
  await acts.getByLabel("When").fill("2026-12-03T15:00");
  await acts.getByRole("button", { name: "Add activity" }).click();
  await acts.getByRole("button", { name: "Mark Send the offer done" }).click();
  const dialog = page.getByRole("dialog", { name: "Mark Send the offer done" });
  await dialog.getByLabel("Result").fill("Sent by e-mail");
  await dialog.getByRole("button", { name: "Done" }).click();
  await acts.getByText("done: Sent by e-mail").waitFor();
}
