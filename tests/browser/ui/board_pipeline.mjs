// The deals board switches pipelines; the choice is in the address, so reload keeps it.
import { signIn, open } from "./lib.mjs";

export default async function ({ page, config, check, shot }) {
  await signIn(page, config);
  await open(page, config, "/deals/board", "Deals board");
  await page.getByRole("link", { name: config.sales_deal }).waitFor();
  await page.getByLabel("Pipeline", { exact: true }).selectOption({ label: config.pipeline });
  await page.getByRole("link", { name: config.other_deal }).waitFor();
  check(!(await page.getByRole("link", { name: config.sales_deal }).count()), "only the chosen pipeline's deals");
  check(page.url().includes(`pipeline=${config.pipeline_id}`), `the pipeline is in the address: ${page.url()}`);
  await page.reload();
  await page.getByRole("link", { name: config.other_deal }).waitFor();
  await shot("deals-board-pipeline");
}
