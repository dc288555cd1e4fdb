// A visitor orders on a phone; the bar, in a second browser context (another device),
// advances the order; the visitor's page shows each status live and a large "ready" state
// (with a vibration). A version conflict on the bar refreshes the row and says so.

import {
  APP_URL, PHONE, TABLET, scenario, newPage, order, waitForOrderNumber, barSignIn, barApi,
  apiOrder, screenshot, assert, assertEqual, assertNoProblems, waitUntil, log,
} from "./lib.mjs";

await scenario("visitor sees ready after the bar advances the order", async (browser) => {
  const visitor = await newPage(browser, { viewport: PHONE, name: "visitor" });
  await visitor.context.addInitScript(() => {
    window.__vibrations = [];
    navigator.vibrate = (pattern) => {
      window.__vibrations.push(pattern);
      return true;
    };
  });
  const v = visitor.page;
  await v.goto(`${APP_URL}/`);
  await order(v, "Ana", "espresso");
  const number = await waitForOrderNumber(v);
  log(`visitor got order ${number}`);
  await v.locator(".status-card.status-placed").waitFor();
  assertEqual(await v.getAttribute('button.drink[data-drink="espresso"]', "aria-pressed"), "true", "chosen drink is pressed");

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  const b = bar.page;
  await barSignIn(b);
  const row = b.locator(".order-row", { hasText: "Ana" });
  await row.waitFor();
  assertEqual((await row.locator(".row-number").textContent()).trim(), number, "bar shows the visitor's number");
  await screenshot(b, "bar-queue-tablet");

  await row.locator("button.action-preparing").click();
  await row.locator(".badge-preparing").waitFor();
  await v.locator(".status-card.status-preparing").waitFor({ timeout: 10000 });
  log("visitor sees preparing");

  await row.locator("button.action-ready").click();
  const ready = v.locator(".status-card.status-ready");
  await ready.waitFor({ timeout: 10000 });
  const text = await ready.textContent();
  assert(text.includes("Your drink is ready!"), `ready card says so: ${text}`);
  assert(text.includes(number), `ready card shows ${number}: ${text}`);
  const fontSize = await v.locator(".ready-number").evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert(fontSize >= 48, `the ready number is large (${fontSize}px)`);
  const vibrations = await v.evaluate(() => window.__vibrations.length);
  assert(vibrations >= 1, "the phone vibrated");
  assert((await v.title()).includes(number), "the tab title shows the ready number");
  await screenshot(v, "visitor-ready-phone");

  await row.locator("button.action-served").click();
  await v.locator(".status-card.status-served").waitFor({ timeout: 10000 });
  await row.waitFor({ state: "detached" });
  log("served: gone from the queue, visitor sees served");

  // A version conflict: another tablet starts an order while this one does not know yet.
  const other = await apiOrder("Bruno", "tea");
  const brunoRow = b.locator(".order-row", { hasText: "Bruno" });
  await brunoRow.waitFor({ timeout: 10000 });
  await b.route("**/api/feed**", (route) => route.abort("internetdisconnected"));
  const patched = await barApi("PATCH", `/api/orders/${other.id}`, { status: "preparing", version: other.version });
  assertEqual(patched.status, 200, `PATCH by the other tablet: ${patched.text}`);
  await brunoRow.locator("button.action-preparing").click();
  const toast = b.locator(".toast", { hasText: `#${other.number}` });
  await toast.waitFor({ timeout: 10000 });
  log(`conflict told: ${(await toast.textContent()).trim()}`);
  await brunoRow.locator(".badge-preparing").waitFor();
  await brunoRow.locator("button.action-ready").waitFor();
  await b.unroute("**/api/feed**");
  const current = await barApi("GET", "/api/queue");
  const bruno = current.json.orders.find((o) => o.id === other.id);
  assertEqual(bruno.status, "preparing", "the conflicting click changed nothing on the server");

  await waitUntil("no stray errors", async () => true);
  assertNoProblems(v, b);
  assertEqual(v.dialogs.length + b.dialogs.length, 0, "no dialogs");
});
