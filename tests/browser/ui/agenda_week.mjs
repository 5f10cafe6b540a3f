// My activities: a planned meeting shows in its day of the week view; the calendar link is made.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, check, shot }) {
  await signIn(page, config);
  await open(page, config, `/activities/my?week=${config.monday}`, "My activities");
  const day = page.getByRole("region", { name: config.day_name });
  await day.getByRole("link", { name: config.subject }).waitFor();
  await page.getByRole("region", { name: "Open, by deadline" }).getByRole("link", { name: config.subject }).waitFor();
  await shot("activities-week");
  await page.getByRole("button", { name: "Get the calendar link" }).click();
  const link = await page.getByLabel("Calendar link").inputValue();
  check(link.includes("/api/activities.ics?token=cal_"), `a feed link: ${link}`);
}
