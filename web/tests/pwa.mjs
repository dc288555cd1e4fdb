// The installable visitor page (issue 13): the service worker installs and precaches the
// site; Chromium finds the page installable; notifications are offered after ordering and
// asked for only on a tap (GET /api/push, pushManager.subscribe, PUT, and DELETE to turn
// them off); a push from the server ({"kind":"ready","order":…}, delivered through the
// DevTools protocol as a push service would) shows the notification in the visitor's
// language; a reload without network shows the page with the saved pending order.
//
// The push endpoints belong to the server side of Web Push; this scenario answers them in
// the browser (page.route), so it checks exactly what the page sends. Headless Chromium has
// no push service, so pushManager.subscribe is replaced by one that returns a fixed
// subscription, as a push service would.

import {
  APP_URL, PHONE, scenario, newPage, order, waitForOrderNumber, assert, assertEqual,
  assertNoProblems, waitUntil, log, screenshot,
} from "./lib.mjs";

const PUBLIC_KEY = "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U";
const SUBSCRIPTION = {
  endpoint: "https://push.example.test/send/abc123",
  expirationTime: null,
  keys: { p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", auth: "tBHItJI5svbpez7KI4CCXg" },
};

/** Replaces pushManager.subscribe/getSubscription with a push service's answer. */
function fakePushService() {
  let current = null;
  const make = (options) => ({
    endpoint: "https://push.example.test/send/abc123",
    expirationTime: null,
    options,
    unsubscribe: async () => { current = null; return true; },
    toJSON: () => ({
      endpoint: "https://push.example.test/send/abc123",
      expirationTime: null,
      keys: { p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", auth: "tBHItJI5svbpez7KI4CCXg" },
    }),
  });
  PushManager.prototype.subscribe = async function subscribe(options) {
    window.__subscribeOptions = { userVisibleOnly: options.userVisibleOnly, keyLength: new Uint8Array(options.applicationServerKey).length };
    current = make(options);
    return current;
  };
  PushManager.prototype.getSubscription = async () => current;
}

await scenario("the visitor page installs, notifies and works offline", async (browser) => {
  const { context, page } = await newPage(browser, { viewport: PHONE, locale: "de-DE", name: "visitor" });
  await context.grantPermissions(["notifications"], { origin: APP_URL });
  await context.addInitScript(fakePushService);
  const pushCalls = [];
  await page.route("**/api/push", (route) => route.fulfill({
    status: 200, contentType: "application/json", body: JSON.stringify({ public_key: PUBLIC_KEY }),
  }));
  await page.route(/\/api\/orders\/\d+\/push$/, async (route) => {
    const request = route.request();
    pushCalls.push({ method: request.method(), visitor: request.headers()["x-visitor-id"], body: request.postData() });
    await route.fulfill({ status: 204 });
  });

  const cdp = await context.newCDPSession(page);
  const registrations = [];
  cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations: list }) => registrations.push(...list));
  await cdp.send("ServiceWorker.enable");

  await page.goto(`${APP_URL}/`);
  await page.locator('button.drink[data-drink="cappuccino"]').waitFor();

  // The service worker installs, takes the page and precaches the site.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await waitUntil("the service worker to control the page", () => page.evaluate(() => Boolean(navigator.serviceWorker.controller)));
  const caches = await page.evaluate(async () => {
    const names = await caches.keys();
    const shell = names.find((n) => n.startsWith("drinks-shell-"));
    const keys = shell ? (await (await caches.open(shell)).keys()).map((r) => new URL(r.url).pathname) : [];
    return { names, keys };
  });
  assert(caches.keys.includes("/"), `the page itself is precached: ${caches.keys.slice(0, 5)}`);
  assert(caches.keys.some((k) => /^\/js\/visitor\.[0-9a-f]{12}\.js$/.test(k)), "the fingerprinted modules are precached");
  assert(caches.keys.includes("/locale/de.json"), "the texts are precached");
  log(`precached ${caches.keys.length} files in ${caches.names.join(", ")}`);

  // Chromium's own installability check: manifest, icons, service worker.
  // Playwright's contexts are incognito profiles, which Chromium never installs to: that
  // one error is about the profile, not the page.
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  const errors = installabilityErrors.filter((e) => e.errorId !== "in-incognito");
  assertEqual(JSON.stringify(errors), "[]", "Chromium finds the page installable");
  const manifest = await (await fetch(`${APP_URL}/manifest.webmanifest`)).json();
  assertEqual(manifest.display, "standalone", "manifest display");
  assert(manifest.icons.some((i) => i.purpose === "maskable" && i.sizes === "512x512"), "a maskable 512 px icon");
  const touch = await fetch(`${APP_URL}/img/apple-touch-icon.png`);
  assertEqual(touch.headers.get("content-type"), "image/png", "the apple-touch-icon is a PNG");

  // No question on load; after ordering the page offers notifications.
  assertEqual(pushCalls.length, 0, "nothing about push before ordering");
  await order(page, "Püsch", "cappuccino");
  const number = await waitForOrderNumber(page);
  const orderId = Number(await page.evaluate(() => JSON.parse(localStorage.getItem("order")).id));
  const notify = page.locator("button.notify-button");
  await notify.waitFor();
  assertEqual((await notify.textContent()).trim(), "Benachrichtige mich, wenn es fertig ist", "the offer is in German");
  assert(await page.locator(".alerts-fallbacks").isVisible(), "the fallbacks are listed while push is off");
  await screenshot(page, "visitor-notify-offer-phone");

  await notify.click();
  await page.locator(".alerts-on").waitFor();
  const put = pushCalls.find((c) => c.method === "PUT");
  assert(put, `the subscription was sent: ${JSON.stringify(pushCalls)}`);
  assertEqual(put.visitor, await page.evaluate(() => localStorage.getItem("visitor_id")), "with X-Visitor-Id");
  assertEqual(put.body, JSON.stringify(SUBSCRIPTION), "the body is subscription.toJSON()");
  const options = await page.evaluate(() => window.__subscribeOptions);
  assertEqual(options.userVisibleOnly, true, "userVisibleOnly");
  assertEqual(options.keyLength, 65, "applicationServerKey is the server's key (65 bytes)");
  assert(!(await page.locator(".alerts-fallbacks").isVisible()), "no fallbacks while push is on");

  // Turned off: DELETE, and the offer and the fallbacks are back; on again: PUT again.
  await page.click('.alerts [data-action="notify-off"]');
  await notify.waitFor();
  await page.locator(".alerts-fallbacks").waitFor();
  await waitUntil("the DELETE", () => pushCalls.some((c) => c.method === "DELETE"));
  assertEqual(pushCalls.find((c) => c.method === "DELETE").visitor, put.visitor, "DELETE with X-Visitor-Id");
  await notify.click();
  await page.locator(".alerts-on").waitFor();
  assertEqual(pushCalls.filter((c) => c.method === "PUT").length, 2, "subscribed again");

  // The server's push, as the push service delivers it to the service worker.
  const registration = registrations.find((r) => r.scopeURL === `${APP_URL}/` && !r.isDeleted);
  assert(registration, `the registration is known to DevTools: ${JSON.stringify(registrations)}`);
  const ready = { kind: "ready", order: { id: orderId, number: Number(number.slice(1)), nickname: "Püsch", drink: "cappuccino", status: "ready", version: 3 } };
  await cdp.send("ServiceWorker.deliverPushMessage", {
    origin: APP_URL, registrationId: registration.registrationId, data: JSON.stringify(ready),
  });
  const shown = await waitUntil("the notification", () => page.evaluate(async () => {
    const list = await (await navigator.serviceWorker.ready).getNotifications();
    return list.length ? list.map((n) => ({ title: n.title, body: n.body, tag: n.tag })) : null;
  }));
  assertEqual(shown[0].title, `${number} Cappuccino ist fertig – hol es an der Bar ab`, "the notification in German");
  assertEqual(shown[0].tag, `order-${orderId}`, "one notification per order");
  log(`notification: ${shown[0].title} / ${shown[0].body}`);
  // The page heard it from the worker too and shows "ready" at once.
  await page.locator(".status-card.status-ready").waitFor();

  // A tap on a drink while the order is ready says to collect it, not that it is being made.
  await page.click('button.drink[data-drink="tea"]');
  await page.locator(".notice", { hasText: "fertig" }).waitFor();
  const notices = await page.locator(".notice").allTextContents();
  assert(!notices.some((n) => /zubereitet/.test(n)), `no "being prepared" notice for a ready order: ${notices}`);

  // Offline: the pending order and the page survive a reload without network.
  const fresh = await newPage(browser, { viewport: PHONE, name: "offline" });
  await fresh.page.goto(`${APP_URL}/`);
  await fresh.page.locator('button.drink[data-drink="water"]').waitFor();
  await fresh.page.evaluate(() => navigator.serviceWorker.ready);
  await waitUntil("the service worker to control the page", () => fresh.page.evaluate(() => Boolean(navigator.serviceWorker.controller)));
  await fresh.context.setOffline(true);
  await order(fresh.page, "Offline Otto", "water");
  await fresh.page.locator(".status-card.sending.is-offline").waitFor();
  await fresh.page.reload();
  await fresh.page.locator(".status-card.sending.is-offline").waitFor();
  await fresh.page.locator(".net.net-offline").waitFor();
  assert(/offline/i.test(await fresh.page.locator(".net").textContent()), "the page says offline");
  await fresh.page.locator('button.drink[data-drink="water"][aria-pressed="true"]').waitFor();
  await screenshot(fresh.page, "visitor-offline-reload-phone");
  await fresh.context.setOffline(false);
  await fresh.page.locator(".status-card.status-placed").waitFor({ timeout: 30000 });

  // A server without push (GET /api/push → 503): asked once, no "notify me", the fallbacks.
  const plain = await newPage(browser, { viewport: PHONE, name: "no-push" });
  let keyRequests = 0;
  await plain.page.route("**/api/push", (route) => {
    keyRequests += 1;
    return route.fulfill({
      status: 503, contentType: "application/problem+json",
      body: JSON.stringify({ type: "/problems/push-not-configured", title: "Push is not configured", status: 503 }),
    });
  });
  await plain.page.goto(`${APP_URL}/`);
  await order(plain.page, "Ohne Push", "tea");
  await plain.page.locator(".status-card.status-placed").waitFor();
  await plain.page.locator(".alerts-fallbacks").waitFor();
  await waitUntil("GET /api/push", () => keyRequests > 0);
  await plain.page.waitForTimeout(500);
  assertEqual(await plain.page.locator(".alerts button.notify-button, .alerts .alerts-push").count(), 0, "no notification offer without push on the server");
  assertEqual(keyRequests, 1, "GET /api/push asked once");
  assertNoProblems(page, fresh.page, plain.page);
});
