// The event's settings from the bar tablet (issue 12): the bar gives the event a title and
// a welcome line in English and German; a German visitor and the poster show them without a
// reload. The bar pauses ordering with a message: the visitor sees it in German and cannot
// order, the poster says so; reopened, the visitor orders. With a busy limit, a visitor who
// taps while too many orders wait is told the bar is busy. With an ordering key, a visitor
// without it cannot order and one who scanned the poster's QR code (decoded here) can; a new
// key changes the poster's code.

import {
  APP_URL, BAR_TOKEN, PHONE, TABLET, scenario, newPage, barSignIn, apiOrder, screenshot,
  assert, assertEqual, assertNoProblems, decodeQr, waitForOrderNumber, waitUntil, log,
} from "./lib.mjs";

const text = async (locator) => (await locator.textContent()).trim();

await scenario("the bar sets up the event and pauses ordering", async (browser) => {
  const visitor = await newPage(browser, { viewport: PHONE, locale: "de-DE", name: "visitor-de" });
  const v = visitor.page;
  await v.goto(`${APP_URL}/`);
  const tea = v.locator('button.drink[data-drink="tea"]');
  await tea.waitFor();
  const menuLoads = [];
  v.on("request", (r) => {
    if (r.url().includes("/api/menu")) menuLoads.push(r.url());
  });

  const poster = await newPage(browser, { viewport: TABLET, name: "poster" });
  const p = poster.page;
  await p.goto(`${APP_URL}/?qr`);
  await p.locator("svg.qr-code").waitFor();

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  const b = bar.page;
  await barSignIn(b);
  await b.click("#tab-event");
  await b.fill("#event-title-en", "Summer party");
  await b.fill("#event-title-de", "Sommerfest");
  await b.fill("#event-welcome-en", "Drinks until midnight");
  await b.fill("#event-welcome-de", "Getränke bis Mitternacht");
  await b.click(".event-form button[type=submit]");
  await b.locator(".toast", { hasText: "saved" }).waitFor();

  await v.locator("h1.page-title", { hasText: "Sommerfest" }).waitFor({ timeout: 10000 });
  assertEqual(await text(v.locator(".event-welcome")), "Getränke bis Mitternacht", "German welcome line");
  await p.locator("h1.poster-title", { hasText: "Summer party" }).waitFor({ timeout: 10000 });
  assertEqual(await text(p.locator(".poster-welcome")), "Drinks until midnight", "welcome on the poster");
  log("title and welcome live on the visitor page (German) and the poster");

  // Pause with a message in two languages.
  await b.click("label[for=event-ordering-paused]");
  await b.fill("#event-message-en", "Back in 10 minutes");
  await b.fill("#event-message-de", "In 10 Minuten zurück");
  await b.click(".event-form button[type=submit]");
  await b.locator(".tab-state", { hasText: "paused" }).waitFor();

  await v.locator(".ordering-banner .ordering-message", { hasText: "In 10 Minuten zurück" }).waitFor({ timeout: 10000 });
  await v.locator('button.drink[data-drink="tea"][disabled]').waitFor();
  await p.locator(".poster-ordering", { hasText: "Back in 10 minutes" }).waitFor({ timeout: 10000 });
  await screenshot(v, "visitor-paused-phone");
  await screenshot(b, "bar-event-tablet");
  log("paused: the visitor cannot order and reads why; the poster says so");

  // Reopen: the visitor orders.
  await b.click("label[for=event-ordering-open]");
  await b.click(".event-form button[type=submit]");
  await v.locator('button.drink[data-drink="tea"]:not([disabled])').waitFor({ timeout: 10000 });
  assertEqual(await v.locator(".ordering-banner").count(), 0, "no banner once open");
  await p.locator(".poster-ordering").waitFor({ state: "hidden", timeout: 10000 });
  await v.fill("#nickname", "Mia");
  await tea.click();
  const number = await waitForOrderNumber(v);
  log(`reopened: ordered ${number}`);

  // The automatic pause: with a limit of 1 and two orders waiting, a new guest is told.
  await b.fill("#event-busy-limit", "1");
  await b.click(".event-form button[type=submit]");
  await b.locator(".toast", { hasText: "saved" }).last().waitFor();
  await apiOrder("Busy Bo", "water");
  const other = await newPage(browser, { viewport: PHONE, name: "visitor-en" });
  await other.page.goto(`${APP_URL}/`);
  await other.page.fill("#nickname", "Late Lou");
  await other.page.click('button.drink[data-drink="water"]');
  await other.page.locator(".notice", { hasText: "The bar is busy" }).waitFor({ timeout: 10000 });
  log("busy: the new guest is asked to try again in a few minutes");

  assertEqual(menuLoads.length >= 3, true, "the visitor page read the menu again after each settings event");

  // The ordering key: no automatic pause any more, then require a key.
  await b.fill("#event-busy-limit", "");
  await b.click(".event-form button[type=submit]");
  await b.locator(".event-key-state", { hasText: "No key" }).waitFor();
  await b.click('button[data-action="event-key"][data-change="new"]');
  await b.locator(".event-key-state", { hasText: "A key is required" }).waitFor();

  const stranger = await newPage(browser, { viewport: PHONE, name: "stranger" });
  await stranger.page.goto(`${APP_URL}/`);
  await stranger.page.locator(".ordering-key", { hasText: "Scan the code at the bar" }).waitFor();
  await stranger.page.locator('button.drink[data-drink="tea"][disabled]').waitFor();
  log("a key is required: a visitor who only has the link cannot order");

  // A poster in a fresh tab asks for the bar token, then shows the code with the key.
  const keyed = await newPage(browser, { viewport: TABLET, name: "poster-keyed" });
  await keyed.page.goto(`${APP_URL}/?qr`);
  await keyed.page.fill("#poster-token", BAR_TOKEN);
  await keyed.page.click(".poster-signin button[type=submit]");
  const scanned = await decodeQr(keyed.page);
  const key = new URL(scanned).searchParams.get("k");
  assert(key && key.length === 16, `the QR code carries the key: ${scanned}`);
  await screenshot(keyed.page, "qr-poster-keyed-tablet");

  const guest = await newPage(browser, { viewport: PHONE, name: "guest" });
  await guest.page.goto(scanned);
  await guest.page.locator('button.drink[data-drink="water"]:not([disabled])').waitFor();
  assertEqual(new URL(guest.page.url()).searchParams.get("k"), null, "the key leaves the address bar");
  await guest.page.fill("#nickname", "Scanned Sam");
  await guest.page.click('button.drink[data-drink="water"]');
  await waitForOrderNumber(guest.page);
  log("a guest who scanned the poster ordered");

  // A new key: the poster's code changes by itself.
  await b.click('button[data-action="event-key"][data-change="new"]');
  await waitUntil("the poster shows the new key", async () => {
    const now = await decodeQr(keyed.page).catch(() => null);
    return now && now !== scanned ? now : null;
  });
  log("a new key: the poster shows the new code");
  assertNoProblems(v, p, b, other.page, stranger.page, keyed.page, guest.page);
});
