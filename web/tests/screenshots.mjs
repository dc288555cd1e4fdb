// Screenshots of the three pages at phone (390 px) and tablet (1024 px) size, with a few
// orders in every state, for the README (copied to docs/screenshots/ by hand).

import {
  APP_URL, PHONE, TABLET, scenario, newPage, order, waitForOrderNumber, barSignIn, barApi,
  apiOrder, screenshot, assertEqual, assertNoProblems, log,
} from "./lib.mjs";

async function advance(o, ...statuses) {
  let version = o.version;
  for (const status of statuses) {
    const r = await barApi("PATCH", `/api/orders/${o.id}`, { status, version });
    assertEqual(r.status, 200, `PATCH ${o.id} → ${status}: ${r.text}`);
    version = r.json.version;
  }
}

await scenario("screenshots", async (browser) => {
  const people = [
    ["Ana", "cappuccino"], ["Bruno", "espresso"], ["Chiara", "tea"], ["Dmitri", "cappuccino"],
    ["Emma", "fruit-juice"], ["Farid", "water"], ["Greta", "cappuccino"], ["Hugo", "espresso"],
  ];
  const placed = [];
  for (const [nick, drink] of people) placed.push(await apiOrder(nick, drink));
  await advance(placed[0], "preparing", "ready", "served");
  await advance(placed[1], "preparing", "ready");
  await advance(placed[2], "preparing");
  await advance(placed[3], "preparing");
  await barApi("PATCH", "/api/drinks/fruit-juice", { stock: 3 });

  // Visitor: phone with an order in preparation; tablet with a fresh order.
  const phone = await newPage(browser, { viewport: PHONE, name: "visitor-phone" });
  await phone.page.goto(`${APP_URL}/`);
  await order(phone.page, "Zoë", "cappuccino");
  await waitForOrderNumber(phone.page);
  const mine = (await barApi("GET", "/api/queue")).json.orders.find((o) => o.nickname === "Zoë");
  await advance(mine, "preparing");
  await phone.page.locator(".status-card.status-preparing").waitFor({ timeout: 10000 });
  await phone.page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(phone.page, "visitor-phone");

  const tablet = await newPage(browser, { viewport: TABLET, name: "visitor-tablet" });
  await tablet.page.goto(`${APP_URL}/`);
  await order(tablet.page, "Yusuf", "tea");
  await waitForOrderNumber(tablet.page);
  await screenshot(tablet.page, "visitor-tablet");

  // Bar: tablet queue with a new order highlighted, phone, statistics.
  const bar = await newPage(browser, { viewport: TABLET, name: "bar-tablet" });
  await barSignIn(bar.page);
  await bar.page.locator(".order-row").first().waitFor();
  await apiOrder("Ivo", "espresso");
  await bar.page.locator(".order-row.is-new", { hasText: "Ivo" }).waitFor({ timeout: 10000 });
  await screenshot(bar.page, "bar-tablet");
  const [download] = await Promise.all([
    bar.page.waitForEvent("download"),
    bar.page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  const csv = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString("utf8"));
  assertEqual(download.suggestedFilename().endsWith(".csv"), true, `a .csv file (${download.suggestedFilename()})`);
  for (const nick of ["Ana", "Ivo", "Zoë"]) {
    assertEqual(csv.includes(nick), true, `the CSV lists ${nick}`);
  }
  await bar.page.click("#tab-stats");
  await bar.page.locator("#chart-per-drink svg.chart-svg").waitFor({ timeout: 10000 });
  await screenshot(bar.page, "bar-stats-tablet");
  await bar.page.click("#tab-stock");
  await screenshot(bar.page, "bar-stock-tablet-2");

  const barPhone = await newPage(browser, { viewport: PHONE, name: "bar-phone" });
  await barSignIn(barPhone.page);
  await barPhone.page.locator(".order-row").first().waitFor();
  await screenshot(barPhone.page, "bar-phone");

  // Poster.
  const poster = await newPage(browser, { viewport: TABLET, name: "poster-tablet" });
  await poster.page.goto(`${APP_URL}/?qr`);
  await poster.page.locator(".ticker-item").first().waitFor();
  await screenshot(poster.page, "poster-tablet", { fullPage: false });
  const posterPhone = await newPage(browser, { viewport: PHONE, name: "poster-phone" });
  await posterPhone.page.goto(`${APP_URL}/?qr`);
  await posterPhone.page.locator(".ticker-item").first().waitFor();
  await screenshot(posterPhone.page, "poster-phone");

  assertNoProblems(phone.page, tablet.page, bar.page, barPhone.page, poster.page, posterPhone.page);
  log("screenshots taken");
});
