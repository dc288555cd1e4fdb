// While you wait (issue 13): the visitor's card says how many orders are before theirs and,
// once the bar has a recent pace, when it should be ready; both follow the queue live and go
// away when the drink is ready. In French too. A phone with nothing on order polls the view
// every phone shares (no X-Visitor-Id, issue 16), with an open order its own.

import {
  APP_URL, PHONE, scenario, newPage, order, waitForOrderNumber, barApi, apiOrder, assert,
  assertEqual, assertNoProblems, waitUntil, log,
} from "./lib.mjs";

/** Moves an order (as the bar) through `statuses`; returns it as it is then. */
async function advance(order, statuses) {
  let current = order;
  for (const status of statuses) {
    const moved = await barApi("PATCH", `/api/orders/${order.id}`, { status, version: current.version });
    assertEqual(moved.status, 200, `PATCH to ${status}: ${moved.text}`);
    current = moved.json;
  }
  return current;
}

await scenario("the visitor sees their place in the queue and an estimate", async (browser) => {
  const first = await apiOrder("Ada", "tea");
  const second = await apiOrder("Bo", "espresso");
  const visitor = await newPage(browser, { viewport: PHONE, name: "visitor" });
  const v = visitor.page;
  const visits = [];
  v.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/visit") visits.push(Boolean(r.headers()["x-visitor-id"]));
  });
  await v.goto(`${APP_URL}/`);
  // Nothing on order: after its first poll the page polls the view every phone shares.
  await waitUntil("two polls before ordering", () => visits.length >= 2);
  assertEqual(visits.slice(0, 2).join(), "true,false", "own view first, then the shared one");
  await order(v, "Cleo", "water");
  await waitForOrderNumber(v);
  const place = v.locator("#order-place");
  await v.locator("#order-place", { hasText: "2 orders before yours." }).waitFor({ timeout: 10000 });
  assertEqual(visits[visits.length - 1], true, "with an open order, its own view");
  assert(!(await place.textContent()).includes("Ready"), "no estimate before the bar has a pace");
  log("two orders before hers, no estimate yet");

  await advance(first, ["preparing", "ready"]);
  await v.locator("#order-place", { hasText: "1 order before yours." }).waitFor({ timeout: 10000 });
  await advance(second, ["cancelled"]);
  await v.locator("#order-place", { hasText: "Yours is next." }).waitFor({ timeout: 10000 });
  log("the count follows the queue");

  // Four more orders ready (five in all): the bar has a pace, and it is quick.
  for (const nickname of ["Dee", "Eli", "Fay", "Gus"]) {
    await advance(await apiOrder(nickname, "tea"), ["preparing", "ready"]);
  }
  await v.locator("#order-place", { hasText: "Ready any moment now." }).waitFor({ timeout: 10000 });
  log("an estimate once five orders were ready");

  await v.click('.lang-switch button[lang="fr"]');
  await v.locator("#order-place", { hasText: "La vôtre est la prochaine." }).waitFor({ timeout: 10000 });
  log("in French");

  const mine = await v.evaluate(() => JSON.parse(localStorage.getItem("order")));
  const preparing = await advance(mine, ["preparing"]);
  await v.locator(".status-card.status-preparing").waitFor({ timeout: 10000 });
  await waitUntil("the count to go once it is being made", async () => {
    const text = await place.textContent();
    return !text.includes("prochaine") && text.includes("Prête");
  });
  await advance(preparing, ["ready"]);
  await v.locator(".status-card.status-ready").waitFor({ timeout: 10000 });
  await place.waitFor({ state: "hidden" });
  log("ready: no count, no estimate");
  assertNoProblems(v);
});
