// Two tabs of one visitor (issue 13): a new order, a change, a cancel, "ready" in one tab
// show in the other within one poll; "already being prepared" never shows for a ready order.
// Without push, the page keeps polling while hidden (slower) and announces "ready" when it
// is visible again, and it says so.
//
// The second tab's visibility is simulated: `document.hidden` is made switchable before the
// page's scripts run, and `visibilitychange` is dispatched as the browser would.

import {
  APP_URL, PHONE, scenario, newPage, order, waitForOrderNumber, barApi, assert, assertEqual,
  assertNoProblems, waitUntil, log,
} from "./lib.mjs";

/** Makes `document.hidden`/`visibilityState` switchable by `window.__setHidden(bool)`. */
function switchableVisibility() {
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  window.__setHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  window.__vibrations = [];
  navigator.vibrate = (pattern) => {
    window.__vibrations.push(pattern);
    return true;
  };
}

async function advance(id, status) {
  const queue = await barApi("GET", "/api/queue");
  const row = queue.json.orders.find((o) => o.id === id);
  const answer = await barApi("PATCH", `/api/orders/${id}`, { status, version: row.version });
  assertEqual(answer.status, 200, `PATCH ${status}: ${answer.text}`);
}

await scenario("two tabs of one visitor stay in step", async (browser) => {
  const { context, page: one } = await newPage(browser, { viewport: PHONE, name: "tab 1" });
  await context.addInitScript(switchableVisibility);
  const two = await context.newPage();
  two.problems = [];
  two.on("pageerror", (error) => two.problems.push(`tab 2: page error: ${error.message}`));
  await one.goto(`${APP_URL}/`);
  await two.goto(`${APP_URL}/`);
  await one.locator('button.drink[data-drink="tea"]').waitFor();
  await two.locator('button.drink[data-drink="tea"]').waitFor();

  // A new order in tab 1 shows in tab 2.
  await order(one, "Tabby", "tea");
  const number = await waitForOrderNumber(one);
  assertEqual(await waitForOrderNumber(two), number, "tab 2 shows the new order");
  const id = await one.evaluate(() => JSON.parse(localStorage.getItem("order")).id);

  // A change in tab 2 shows in tab 1.
  await two.click('button.drink[data-drink="water"]');
  await one.locator(".status-card.status-placed", { hasText: "Water" }).waitFor();
  await one.locator('button.drink[data-drink="water"][aria-pressed="true"]').waitFor();

  // Tab 2 goes to the background: it says which fallbacks are on and keeps polling, slower.
  await two.locator(".alerts-fallbacks .fallback-poll").waitFor();
  let pollsWhileHidden = 0;
  two.on("request", (r) => {
    if (r.url().includes("/api/visit")) pollsWhileHidden += 1;
  });
  await two.evaluate(() => window.__setHidden(true));
  await waitUntil("a poll of the hidden tab", () => pollsWhileHidden >= 1, { timeout: 25000 });
  await advance(id, "preparing");
  await one.locator(".status-card.status-preparing").waitFor();
  await advance(id, "ready");
  await one.locator(".status-card.status-ready").waitFor();
  // Tab 2, hidden, hears it (from tab 1 at once, else from its slower poll) and puts it in the title.
  await waitUntil("the hidden tab to see ready", () => two.evaluate(() => document.title.startsWith("✓")), { timeout: 25000 });
  assertEqual(await two.evaluate(() => window.__vibrations.length), 0, "no vibration while hidden");
  await two.evaluate(() => window.__setHidden(false));
  await waitUntil("the vibration once visible", () => two.evaluate(() => window.__vibrations.length === 1));
  await two.locator(".status-card.status-ready").waitFor();
  assertEqual(await one.evaluate(() => window.__vibrations.length), 1, "tab 1 vibrated when it saw ready");
  assert(!(await two.locator(".alerts").isVisible()), "nothing to wait for once ready");

  // A tap on a drink while ready: "collect it", never "being prepared".
  await one.click('button.drink[data-drink="espresso"]');
  const notice = await one.locator(".notice").textContent();
  assert(/ready/i.test(notice) && !/being prepared/i.test(notice), `the notice fits a ready order: ${notice}`);

  // Served, then a new order in tab 2 and its cancel show in tab 1.
  await advance(id, "served");
  await two.locator(".status-card.status-served").waitFor();
  await one.locator(".status-card.status-served").waitFor();
  await two.click('button.drink[data-drink="espresso"]');
  await two.locator(".status-card.status-placed", { hasText: "Espresso" }).waitFor();
  await one.locator(".status-card.status-placed", { hasText: "Espresso" }).waitFor();
  await one.click("#cancel-order");
  await two.locator(".status-card.status-cancelled").waitFor();
  assertNoProblems(one, two);
  log(`order ${number} followed in both tabs`);
});
