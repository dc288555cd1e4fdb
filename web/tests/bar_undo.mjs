// Undo at the bar (issue 14, part 3): a mistaken "Served" is taken back with one tap within
// a minute; the order is back in the queue as ready, the visitor's phone shows "ready"
// again, and the public feed has the `undone` event. A second undo is not offered.

import {
  APP_URL, PHONE, TABLET, scenario, newPage, order, waitForOrderNumber, barSignIn,
  assert, assertEqual, assertNoProblems, waitUntil, log,
} from "./lib.mjs";

await scenario("bar_undo", async (browser) => {
  const visitor = await newPage(browser, { viewport: PHONE, name: "visitor" });
  const v = visitor.page;
  await v.goto(`${APP_URL}/`);
  await order(v, "Ana", "espresso");
  const number = await waitForOrderNumber(v);

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  const b = bar.page;
  await barSignIn(b);
  const row = b.locator(".order-row", { hasText: "Ana" });
  await row.locator("button.action-preparing").click();
  await row.locator("button.action-ready").click();
  await row.locator("button.action-served").click();
  await row.waitFor({ state: "detached" });
  await v.locator(".status-card.status-served").waitFor({ timeout: 10000 });
  log(`${number} served by mistake`);

  const undo = b.locator(".undo-bar");
  await undo.filter({ hasText: `${number} is now “Served”` }).waitFor();
  await undo.getByRole("button", { name: "Undo" }).click();
  await row.locator(".badge-ready").waitFor();
  await row.locator("button.action-served").waitFor();
  await undo.waitFor({ state: "hidden" });
  log("back in the queue as ready; no second undo offered");

  await v.locator(".status-card.status-ready").waitFor({ timeout: 10000 });
  log("the visitor sees ready again");

  const undone = await waitUntil("the undone event in the public feed", async () => {
    const feed = await (await fetch(`${APP_URL}/api/feed?tail=50`)).json();
    return feed.events.find((e) => e.kind === "undone");
  });
  assertEqual(undone.order.status, "ready", "the feed's undone event says ready");
  assertEqual(`#${undone.order.number}`, number, "for the visitor's order");
  assert(undone.order.version === 5, `version 5 after placed, preparing, ready, served and the undo (got ${undone.order.version})`);
  assertNoProblems(v, b);
});
