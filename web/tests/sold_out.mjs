// Sold out shows live: the bar switches a drink off (stock panel) or sets its portions to 0,
// and an open visitor page disables that drink without a reload; switched on, it is back.
// A visitor who taps a drink that sold out a moment ago is told so.

import {
  APP_URL, PHONE, TABLET, scenario, newPage, barSignIn, barApi, screenshot, assertEqual,
  assertNoProblems, log,
} from "./lib.mjs";

await scenario("sold out shows live", async (browser) => {
  const visitor = await newPage(browser, { viewport: PHONE, name: "visitor" });
  const v = visitor.page;
  await v.goto(`${APP_URL}/`);
  const espresso = v.locator('button.drink[data-drink="espresso"]');
  const tea = v.locator('button.drink[data-drink="tea"]');
  await espresso.waitFor();
  assertEqual(await espresso.isDisabled(), false, "espresso starts available");
  assertEqual(await v.locator('button.drink[data-drink="beer"]').isDisabled(), true, "beer (seeded unavailable) is disabled");
  const requests = [];
  v.on("request", (r) => {
    if (r.url().includes("/api/menu")) requests.push(r.url());
  });

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  const b = bar.page;
  await barSignIn(b);
  await b.click("#tab-stock");
  await b.locator("#available-espresso").uncheck();
  await b.locator('.stock-row[data-drink="espresso"] .badge-soldout').waitFor();

  await v.locator('button.drink[data-drink="espresso"][disabled]').waitFor({ timeout: 10000 });
  assertEqual((await espresso.locator(".drink-note").textContent()).trim(), "Sold out", "labelled sold out");
  log("espresso switched off: disabled live");

  await b.fill("#stock-tea", "0");
  await b.locator('.stock-row[data-drink="tea"] .stock-form button[type=submit]').click();
  await v.locator('button.drink[data-drink="tea"][disabled]').waitFor({ timeout: 10000 });
  log("tea at 0 portions: disabled live");
  await screenshot(v, "visitor-sold-out-phone");
  await screenshot(b, "bar-stock-tablet");

  await b.locator("#available-espresso").check();
  await v.locator('button.drink[data-drink="espresso"]:not([disabled])').waitFor({ timeout: 10000 });
  assertEqual(await tea.isDisabled(), true, "tea stays sold out");
  // Three changes (espresso off, tea at 0, espresso on): the menu is read again when the
  // view names a new version, never on every poll.
  if (requests.length < 1 || requests.length > 4) {
    throw new Error(`the menu was read ${requests.length} times for three changes`);
  }

  // Sold out between the last poll and the tap: the server refuses, the page says so.
  await v.route("**/api/visit**", (route) => route.abort("internetdisconnected"));
  const patched = await barApi("PATCH", "/api/drinks/water", { available: false });
  assertEqual(patched.status, 200, `PATCH /api/drinks/water: ${patched.text}`);
  await v.fill("#nickname", "Late Lou");
  await v.click('button.drink[data-drink="water"]');
  await v.locator(".notice", { hasText: "sold out" }).waitFor({ timeout: 10000 });
  await v.locator('button.drink[data-drink="water"][disabled]').waitFor();
  await v.unroute("**/api/visit**");
  assertNoProblems(v, b);
});
