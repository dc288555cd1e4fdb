// A reload keeps everything: the visitor id, the nickname, the order and its number; a
// change that had not reached the server yet is still sent after the reload, with the same
// request_id. Cancelling works while the order is placed.

import {
  APP_URL, PHONE, scenario, newPage, order, waitForOrderNumber, barApi, screenshot, assert,
  assertEqual, assertNoProblems, waitUntil, log, recordOrderPosts,
} from "./lib.mjs";

await scenario("a reload keeps the order", async (browser) => {
  const { page } = await newPage(browser, { viewport: PHONE, name: "visitor" });
  const posts = recordOrderPosts(page);
  await page.goto(`${APP_URL}/`);
  await order(page, "Reloader", "tea");
  const number = await waitForOrderNumber(page);
  const visitorId = await page.evaluate(() => localStorage.getItem("visitor_id"));
  assert(/^[0-9a-f-]{36}$/.test(visitorId), `visitor id is a UUID: ${visitorId}`);

  await page.reload();
  assertEqual(await waitForOrderNumber(page), number, "same order number after reload");
  assertEqual(await page.evaluate(() => localStorage.getItem("visitor_id")), visitorId, "same visitor id");
  assertEqual(await page.inputValue("#nickname"), "Reloader", "nickname remembered");
  await page.locator('button.drink[data-drink="tea"][aria-pressed="true"]').waitFor();

  // Change to water while the server is unreachable, then reload: the change is pending.
  await page.route("**/api/orders", (route) => route.abort("connectionrefused"));
  await page.click('button.drink[data-drink="water"]');
  await page.locator(".status-card.sending").waitFor();
  const pending = await page.evaluate(() => JSON.parse(localStorage.getItem("pending_order")));
  assertEqual(pending.drink, "water", "the change is kept locally");
  await page.reload();
  await page.locator(".status-card.sending").waitFor();
  await screenshot(page, "visitor-pending-phone");
  await page.unroute("**/api/orders");
  await page.locator(".status-card.status-placed", { hasText: "Water" }).waitFor({ timeout: 20000 });
  assertEqual(await waitForOrderNumber(page), number, "the change kept the order (and its number)");
  assertEqual(await page.evaluate(() => localStorage.getItem("pending_order")), null, "nothing pending any more");
  const waterPosts = posts.filter((p) => p.drink === "water");
  assert(waterPosts.length >= 2, `the change was tried before and after the reload (${waterPosts.length})`);
  assertEqual(new Set(waterPosts.map((p) => p.request_id)).size, 1, "always with the same request_id");

  const queue = await barApi("GET", "/api/queue");
  const mine = queue.json.orders.filter((o) => o.nickname === "Reloader");
  assertEqual(mine.length, 1, "one open order on the server");
  assertEqual(mine[0].drink, "water", "with the changed drink");

  // Cancel while placed.
  await page.click("#cancel-order");
  await page.locator(".status-card.status-cancelled").waitFor();
  await waitUntil("the server to cancel it", async () => {
    const q = await barApi("GET", "/api/queue");
    return !q.json.orders.some((o) => o.nickname === "Reloader");
  });
  await page.reload();
  await page.locator(".status-card.status-cancelled").waitFor();
  assertNoProblems(page);
  log(`order ${number} survived reloads; cancelled`);
});
