// The owner opens the sales funnel from the start page: each stage's bar is as long as the API's
// share (its rendered width over its track's), and shows the deals that reached the stage; a
// "lost at" row opens the list of exactly the deals lost there.
import { signIn, eventually, rowTitles } from "./lib.mjs";
import { english } from "./reports_lib.mjs";

export default async function ({ page, config, check, shot, api, results }) {
  await signIn(page, config);
  // The start page's small funnel links to the report.
  await page.getByRole("list", { name: "Sales funnel" }).waitFor();
  await shot("reports-home-funnel");
  await page.getByRole("heading", { level: 2, name: "Sales funnel" }).getByRole("link").click();
  await page.getByRole("heading", { level: 1, name: "Sales funnel" }).waitFor();
  const answer = await api("GET", "/api/reports/funnel");
  check(answer.status === 200, `the funnel answers: ${answer.status}`);
  const steps = [...answer.body.stages, answer.body.won];
  const funnel = page.getByRole("list", { name: "Sales funnel" });
  results.bars = [];
  for (const step of steps) {
    const item = funnel.getByRole("listitem").filter({ has: page.getByText(english(step.name), { exact: true }) });
    await item.getByText(`reached: ${step.reached}`).waitFor();
    const ratio = await item.evaluate((li) => {
      const bar = li.querySelector(".funnel-bar");
      return bar.getBoundingClientRect().width / bar.parentElement.getBoundingClientRect().width;
    });
    results.bars.push({ code: step.code, share: step.share, ratio });
    check(Math.abs(ratio - step.share) < 0.01, `${step.code}: the bar is ${ratio} of its track, the share is ${step.share}`);
  }
  const distinct = new Set(steps.map((s) => s.share)).size;
  check(distinct >= 3, `the data gives bars of different lengths: ${distinct}`);
  await shot("reports-funnel");
  // The lost deals by the stage they were lost at: the row drills down to exactly those deals.
  const lostTable = page.locator("table.stages").filter({ has: page.getByText("Lost at") });
  await lostTable.getByRole("link", { name: "Preparing documents" }).click();
  await eventually(() => page.url().includes("filter%5Blost_at_stage%5D=PREPARATION") || page.url().includes("filter[lost_at_stage]=PREPARATION"), "the drill is in the address");
  await page.getByRole("link", { name: "Funnel deal lost" }).first().waitFor();
  results.lost_list = await rowTitles(page);
  await page.goBack();
  await page.getByRole("heading", { level: 1, name: "Sales funnel" }).waitFor();
  // Another period with no deals: every bar is empty.
  await page.getByLabel("From").fill("2001-01-01");
  await page.getByLabel("To").fill("2001-12-31");
  await page.getByRole("button", { name: "Show" }).click();
  await eventually(() => page.url().includes("from=2001-01-01"), "the period is in the address");
  await funnel.getByRole("listitem").first().getByText("reached: 0").waitFor();
}
