// A hostile nickname is text everywhere: the visitor page, the poster's ticker, the bar
// queue and the counter screen show it literally, no element is created from it and nothing runs.

import {
  APP_URL, PHONE, TABLET, scenario, newPage, order, waitForOrderNumber, barSignIn, apiOrder,
  screenshot, assert, assertEqual, assertNoProblems, log,
} from "./lib.mjs";

const NASTY = "<img src=x onerror=alert(1)>";
const NASTY_2 = "\"><svg onload=alert(2)>";

async function noInjectedElements(page, where) {
  const found = await page.evaluate(() => ({
    img: document.querySelectorAll('img[src="x"], img[src$="/x"]').length,
    svg: [...document.querySelectorAll("svg")].filter((s) => s.getAttribute("onload")).length,
    handlers: [...document.querySelectorAll("*")].filter((el) =>
      [...el.attributes].some((a) => a.name.startsWith("on"))).length,
  }));
  assertEqual(JSON.stringify(found), JSON.stringify({ img: 0, svg: 0, handlers: 0 }), `${where}: no injected elements`);
}

await scenario("hostile nickname shows as text everywhere and runs nothing", async (browser) => {
  const visitor = await newPage(browser, { viewport: PHONE, name: "visitor" });
  const v = visitor.page;
  await v.goto(`${APP_URL}/`);
  await order(v, NASTY, "tea");
  await waitForOrderNumber(v);
  await apiOrder(NASTY_2, "water");

  const tickerNick = v.locator(".ticker-item .nick", { hasText: NASTY });
  await tickerNick.first().waitFor({ timeout: 10000 });
  assertEqual(await tickerNick.first().textContent(), NASTY, "visitor ticker shows the nickname as text");
  await v.locator(".ticker-item .nick", { hasText: NASTY_2 }).first().waitFor({ timeout: 10000 });
  assertEqual(await v.inputValue("#nickname"), NASTY, "the field keeps the text");
  await noInjectedElements(v, "visitor page");
  await screenshot(v, "xss-visitor-phone");

  const poster = await newPage(browser, { viewport: TABLET, name: "poster" });
  await poster.page.goto(`${APP_URL}/?qr`);
  const posterNick = poster.page.locator(".ticker-item .nick", { hasText: NASTY });
  await posterNick.first().waitFor({ timeout: 10000 });
  assertEqual(await posterNick.first().textContent(), NASTY, "poster ticker shows the nickname as text");
  await noInjectedElements(poster.page, "poster");

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  await barSignIn(bar.page);
  const barNick = bar.page.locator(".order-row .row-nick", { hasText: NASTY });
  await barNick.first().waitFor({ timeout: 10000 });
  assertEqual(await barNick.first().textContent(), NASTY, "bar queue shows the nickname as text");
  await bar.page.locator(".order-row .row-nick", { hasText: NASTY_2 }).first().waitFor();
  await noInjectedElements(bar.page, "bar");
  await screenshot(bar.page, "xss-bar-tablet");

  const board = await newPage(browser, { viewport: { width: 1280, height: 720 }, name: "board" });
  await board.page.goto(`${APP_URL}/?board`);
  const boardNick = board.page.locator(".board-tile .board-name", { hasText: NASTY });
  await boardNick.first().waitFor({ timeout: 10000 });
  assertEqual(await boardNick.first().textContent(), NASTY, "the board shows the nickname as text");
  await noInjectedElements(board.page, "board");

  await v.waitForTimeout(500);
  const dialogs = [...v.dialogs, ...poster.page.dialogs, ...bar.page.dialogs, ...board.page.dialogs];
  assertEqual(dialogs.length, 0, `no alert ran (${dialogs.join(", ")})`);
  assertNoProblems(v, poster.page, bar.page, board.page);
  log("nicknames stayed text");
});
