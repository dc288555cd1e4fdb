// Lost Wi-Fi: the server takes the order but the phone never hears back, then the phone is
// offline for a while. The page says so, keeps the order, and once online delivers it:
// exactly one order on the server, every attempt with the same request_id.

import {
  APP_URL, PHONE, scenario, newPage, waitForOrderNumber, barApi, screenshot, assert,
  assertEqual, assertNoProblems, log, recordOrderPosts,
} from "./lib.mjs";

const NICK = "Offline Olga";

async function serverOrders() {
  const queue = await barApi("GET", "/api/queue");
  assertEqual(queue.status, 200, `GET /api/queue: ${queue.text}`);
  return queue.json.orders.filter((o) => o.nickname === NICK);
}

await scenario("offline then online delivers exactly one order", async (browser) => {
  const { context, page } = await newPage(browser, { viewport: PHONE, name: "visitor" });
  const posts = recordOrderPosts(page);
  await page.goto(`${APP_URL}/`);
  await page.locator('button.drink[data-drink="cappuccino"]').waitFor();
  await page.fill("#nickname", NICK);

  let first = true;
  await page.route("**/api/orders", async (route) => {
    if (first) {
      first = false;
      // The request reaches the server; the answer is lost with the Wi-Fi.
      await route.fetch();
      await context.setOffline(true);
      await route.abort("internetdisconnected");
    } else {
      await route.continue();
    }
  });
  await page.click('button.drink[data-drink="cappuccino"]');
  await page.locator(".status-card.sending.is-offline").waitFor();
  await page.locator(".net.net-offline").waitFor();
  const banner = await page.locator(".net").textContent();
  assert(/offline/i.test(banner), `the page says it is offline: ${banner}`);
  assertEqual((await serverOrders()).length, 1, "the server already has the order");
  await screenshot(page, "visitor-offline-phone");

  await page.waitForTimeout(3000); // retries while offline fail quietly
  await context.setOffline(false);
  const number = await waitForOrderNumber(page);
  await page.locator(".status-card.status-placed").waitFor();
  assertEqual(await page.locator(".net").isVisible(), false, "the offline banner is gone");

  const orders = await serverOrders();
  assertEqual(orders.length, 1, "exactly one order");
  assertEqual(`#${orders[0].number}`, number, "the page shows that order's number");
  assertEqual(orders[0].version, 1, "the retry wrote nothing");
  assert(posts.length >= 2, `it was sent more than once (${posts.length})`);
  assertEqual(new Set(posts.map((p) => p.request_id)).size, 1, "every attempt used the same request_id");
  assertEqual(await page.evaluate(() => localStorage.getItem("pending_order")), null, "nothing pending");
  assertNoProblems(page);
  log(`one order ${number} after ${posts.length} attempts`);
});
