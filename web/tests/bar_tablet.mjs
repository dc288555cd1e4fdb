// A bar tablet that does not fall asleep (issue 14, part 4): "remember this tablet" keeps the
// token for a new tab until sign-out; the page asks for a screen wake lock while signed in
// and again when it becomes visible; it keeps polling while hidden and takes new orders into
// the queue; the new-order sound is on by default and plays once staff touched the page;
// the closed orders are deleted from the Event tab after a confirmation.

import {
  APP_URL, TABLET, BAR_TOKEN, scenario, newPage, barApi, apiOrder, assert, assertEqual,
  assertNoProblems, waitUntil, log,
} from "./lib.mjs";

/** Records wake-lock requests and lets the test hide the page (headless pages never are). */
function instrument() {
  window.__wakeLocks = [];
  window.__hidden = false;
  window.__beeps = 0;
  const sentinels = [];
  Object.defineProperty(Navigator.prototype, "wakeLock", {
    configurable: true,
    get: () => ({
      request: async (type) => {
        const sentinel = new EventTarget();
        sentinel.type = type;
        sentinel.released = false;
        sentinel.release = async () => {
          if (sentinel.released) return;
          sentinel.released = true;
          sentinel.dispatchEvent(new Event("release"));
        };
        sentinels.push(sentinel);
        window.__wakeLocks.push(type);
        return sentinel;
      },
    }),
  });
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => window.__hidden });
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true,
    get: () => (window.__hidden ? "hidden" : "visible"),
  });
  /** As the browser does: hiding the page releases its wake locks. */
  window.__setHidden = (hidden) => {
    window.__hidden = hidden;
    if (hidden) for (const s of sentinels) s.release();
    document.dispatchEvent(new Event("visibilitychange"));
  };
  const original = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function createOscillator() {
    if (this.state === "running") window.__beeps += 1;
    return original.call(this);
  };
}

await scenario("bar_tablet", async (browser) => {
  const { context, page } = await newPage(browser, { viewport: TABLET, name: "tablet" });
  await context.addInitScript(instrument);
  const feedPolls = [];
  context.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/feed") feedPolls.push(Date.now());
  });

  // Sign in with "remember this tablet": the token is kept on the device, not only the tab.
  await page.goto(`${APP_URL}/?bar`);
  await page.fill("#bar-token", BAR_TOKEN);
  await page.check("#bar-remember");
  await page.click(".signin button[type=submit]");
  await page.locator("#tab-queue[aria-selected=true]").waitFor();
  assertEqual(await page.evaluate(() => localStorage.getItem("bar_token")), BAR_TOKEN, "remembered on the tablet");
  assertEqual(await page.evaluate(() => sessionStorage.getItem("bar_token")), null, "not also in the tab");

  // The screen is kept on, and the sound is on: signing in was a tap, so it plays.
  await waitUntil("a screen wake lock", () => page.evaluate(() => window.__wakeLocks.length === 1));
  assertEqual(await page.evaluate(() => window.__wakeLocks[0]), "screen", "the screen wake lock");
  await page.locator('[data-action="sound"][aria-pressed="true"]', { hasText: "Sound on" }).waitFor();
  await apiOrder("Bell", "tea");
  await page.locator(".order-row", { hasText: "Bell" }).waitFor({ timeout: 10000 });
  await waitUntil("the new-order sound", () => page.evaluate(() => window.__beeps > 0));

  // Hidden (another tab, the screen off): the page keeps polling and the queue stays current.
  await page.evaluate(() => window.__setHidden(true));
  const hiddenSince = Date.now();
  await apiOrder("Hidden Hugo", "espresso");
  await page.locator(".order-row", { hasText: "Hidden Hugo" }).waitFor({ timeout: 10000 });
  await waitUntil("three polls while hidden", async () => feedPolls.filter((t) => t > hiddenSince).length >= 3, { timeout: 12000 });
  log(`hidden: ${feedPolls.filter((t) => t > hiddenSince).length} polls in ${Date.now() - hiddenSince} ms`);
  // Visible again: the wake lock the browser released is taken again.
  await page.evaluate(() => window.__setHidden(false));
  await waitUntil("the wake lock again", () => page.evaluate(() => window.__wakeLocks.length === 2));

  // A new tab on the same tablet opens the bar without the token; its sound waits for a tap.
  const second = await context.newPage();
  await second.goto(`${APP_URL}/?bar`);
  await second.locator("#tab-queue[aria-selected=true]").waitFor();
  await second.locator('[data-action="sound"]', { hasText: "tap to enable" }).waitFor();
  await second.locator("#tab-queue").click();
  await second.locator('[data-action="sound"]', { hasText: /^Sound on$/ }).waitFor();
  log("a new tab opened the bar with the remembered token");

  // After the event: delete the closed orders, after a confirmation.
  const queue = (await barApi("GET", "/api/queue")).json.orders;
  const bell = queue.find((o) => o.nickname === "Bell");
  const served = await barApi("PATCH", "/api/orders", { changes: [{ id: bell.id, status: "cancelled", version: bell.version }] });
  assertEqual(served.json.moved.length, 1, "Bell's tea is cancelled");
  await second.click("#tab-event");
  await second.click('[data-action="purge"]');
  await second.locator(".purge-question").waitFor();
  await second.click('[data-action="purge-keep"]');
  await second.locator(".purge-question").waitFor({ state: "detached" });
  const stats = async () => (await barApi("GET", "/api/stats")).json.per_status;
  assertEqual((await stats()).cancelled, 1, "keeping them deletes nothing");
  await second.click('[data-action="purge"]');
  await second.click('[data-action="purge-confirm"]');
  await second.locator(".toast", { hasText: "1 closed order deleted" }).waitFor();
  const after = await stats();
  assertEqual(after.cancelled, 0, "the cancelled order is gone");
  assertEqual(after.placed, 1, "the open order stays");

  // Signing out forgets the tablet: a new tab asks for the token again.
  await second.getByRole("button", { name: "Sign out" }).click();
  await second.locator("#bar-token").waitFor();
  assertEqual(await second.evaluate(() => localStorage.getItem("bar_token")), null, "sign-out forgets the tablet");
  const third = await context.newPage();
  await third.goto(`${APP_URL}/?bar`);
  await third.locator("#bar-token").waitFor();
  assertNoProblems(page, second, third);
});
