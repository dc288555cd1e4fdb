// The bar page refuses a wrong token (the API answers 401, nothing of the queue is shown,
// nothing is kept), accepts the right one, keeps it for the tab only; the CSV export downloads.

import { readFileSync } from "node:fs";
import {
  APP_URL, TABLET, BAR_TOKEN, scenario, newPage, barSignIn, screenshot, assert, assertEqual,
  assertNoProblems, log, apiOrder,
} from "./lib.mjs";

await scenario("bar page refuses a wrong token", async (browser) => {
  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  const b = bar.page;
  const statuses = [];
  b.on("response", (r) => {
    if (r.url().includes("/api/queue")) statuses.push(r.status());
  });
  await barSignIn(b, `${BAR_TOKEN}-wrong`);
  const error = b.locator("#bar-token-error");
  await error.filter({ hasText: "not correct" }).waitFor();
  assertEqual(await b.getAttribute("#bar-token", "aria-invalid"), "true", "the field is marked invalid");
  assert(statuses.includes(401), `the API answered 401 (saw ${statuses})`);
  assertEqual(await b.locator(".queue, .order-row, .tabs").count(), 0, "no queue is shown");
  assertEqual(await b.evaluate(() => sessionStorage.getItem("bar_token")), null, "a wrong token is not kept");
  await screenshot(b, "bar-wrong-token-tablet");

  // Empty input: told, nothing sent.
  const before = statuses.length;
  await b.fill("#bar-token", "   ");
  await b.click(".signin button[type=submit]");
  await error.filter({ hasText: "enter the bar token" }).waitFor();
  assertEqual(statuses.length, before, "an empty token is not sent");

  // The right token opens the bar and lasts for this tab (a reload keeps it)...
  await b.fill("#bar-token", BAR_TOKEN);
  await b.click(".signin button[type=submit]");
  await b.locator("#tab-queue[aria-selected=true]").waitFor();
  assertEqual(await b.evaluate(() => sessionStorage.getItem("bar_token")), BAR_TOKEN, "kept in sessionStorage");
  assertEqual(await b.evaluate(() => localStorage.getItem("bar_token")), null, "never in localStorage");
  await b.reload();
  await b.locator("#tab-queue[aria-selected=true]").waitFor();

  // ...but not for another device, which is asked again.
  const other = await newPage(browser, { viewport: TABLET, name: "other" });
  await other.page.goto(`${APP_URL}/?bar`);
  await other.page.locator("#bar-token").waitFor();

  // The CSV export downloads the orders (fetched with the token, saved through a blob URL).
  await apiOrder("Csv Carla", "tea");
  const [download] = await Promise.all([
    b.waitForEvent("download"),
    b.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  assert(/^orders-[0-9-]+\.csv$/.test(download.suggestedFilename()), `file name ${download.suggestedFilename()}`);
  const csv = readFileSync(await download.path(), "utf8");
  assert(csv.split("\r\n")[0].includes("nickname"), `a header record: ${csv.slice(0, 200)}`);
  assert(csv.includes("Csv Carla"), `the order is in the export: ${csv.slice(0, 400)}`);

  // Signing out forgets it.
  await b.getByRole("button", { name: "Sign out" }).click();
  await b.locator("#bar-token").waitFor();
  assertEqual(await b.evaluate(() => sessionStorage.getItem("bar_token")), null, "sign-out forgets the token");
  assertNoProblems(b, other.page);
  log("wrong token refused, right token accepted");
});
