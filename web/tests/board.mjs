// The counter screen (?board) on a 1920×1080 TV beside the bar: an order goes placed →
// preparing → ready → served on the bar (another browser context) while the board shows
// it in the right column at each step (the newly ready one highlighted) and drops it once
// served; axe-core finds no serious or critical violation; with 40 open orders every ready
// one is on screen and nothing scrolls, also when all 40 are ready; after a network loss it
// says so and catches up by itself. Screenshots: empty, a highlight, busy.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  APP_URL, TABLET, scenario, newPage, barSignIn, barApi, apiOrder, screenshot, assert,
  assertEqual, assertNoProblems, waitUntil, log,
} from "./lib.mjs";

const TV = { width: 1920, height: 1080 };
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The board's tile of order number `number` in `column` ("waiting" or "ready"). */
const tileIn = (page, column, number) =>
  page.locator(`.board-${column} .board-tile[data-number="${number}"]`);

async function noScrolling(page, what) {
  const { scrollHeight, scrollWidth, innerHeight, innerWidth } = await page.evaluate(() => ({
    scrollHeight: document.scrollingElement.scrollHeight,
    scrollWidth: document.scrollingElement.scrollWidth,
    innerHeight: window.innerHeight,
    innerWidth: window.innerWidth,
  }));
  assert(scrollHeight <= innerHeight && scrollWidth <= innerWidth,
    `${what}: the board does not scroll (${scrollWidth}×${scrollHeight} in ${innerWidth}×${innerHeight})`);
}

await scenario("the board follows an order through the bar", async (browser) => {
  // axe-core is injected into the page: its CSP (no inline scripts) is bypassed for that.
  const board = await newPage(browser, { viewport: TV, name: "board", contextOptions: { bypassCSP: true } });
  const tv = board.page;
  await tv.goto(`${APP_URL}/?board`);
  await tv.locator(".board-ready .board-empty").waitFor();
  assertEqual((await tv.locator(".board-ready .board-heading").textContent()).trim(), "Ready — please collect", "ready column");
  await noScrolling(tv, "empty");
  await screenshot(tv, "board-empty-tv", { fullPage: false });

  // The chime is off until switched on, and stays on across a reload.
  const chime = tv.locator("button.board-chime");
  assertEqual(await chime.getAttribute("aria-pressed"), "false", "the chime starts off");
  await chime.click();
  await tv.reload();
  await tv.locator(".board-ready .board-empty").waitFor();
  assertEqual(await chime.getAttribute("aria-pressed"), "true", "the chime stays on after a reload");
  await chime.click();
  await chime.blur();
  await tv.mouse.move(0, 500); // no hover or focus ring in the screenshots

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  const b = bar.page;
  await barSignIn(b);
  const ana = await apiOrder("Ana", "espresso");
  await tileIn(tv, "waiting", ana.number).waitFor({ timeout: 10000 });
  assert((await tileIn(tv, "waiting", ana.number).textContent()).includes("Ana"), "the tile shows the nickname");
  assertEqual(await tileIn(tv, "waiting", ana.number).locator("img.board-picture").count(), 1, "the tile shows the drink's picture");
  log(`placed: #${ana.number} is being prepared on the board`);

  const row = b.locator(".order-row", { hasText: "Ana" });
  await row.locator("button.action-preparing").click();
  await waitUntil("the board's tile to say preparing", async () =>
    (await tileIn(tv, "waiting", ana.number).getAttribute("class").catch(() => ""))?.includes("status-preparing"), { timeout: 10000 });
  log("preparing: still in the first column");

  await row.locator("button.action-ready").click();
  const ready = tileIn(tv, "ready", ana.number);
  await ready.waitFor({ timeout: 10000 });
  assertEqual(await tileIn(tv, "waiting", ana.number).count(), 0, "it left the first column");
  assert((await ready.getAttribute("class")).includes("is-highlight"), "the newest ready order is highlighted");
  const fontSize = await ready.locator(".board-number").evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert(fontSize >= 64, `the number is readable from afar (${fontSize}px)`);
  await screenshot(tv, "board-highlight-tv", { fullPage: false });
  log("ready: highlighted in the ready column");

  // Accessibility: axe-core, no serious or critical violation.
  await tv.evaluate(AXE);
  const violations = await tv.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert(violations.length === 0, `axe-core found:\n  ${violations.join("\n  ")}`);
  log("axe-core: no serious or critical violation");

  await row.locator("button.action-served").click();
  await ready.waitFor({ state: "detached", timeout: 10000 });
  log("served: gone from the board");

  // Busy: 40 open orders, 16 of them ready: every ready one is on screen, nothing scrolls.
  const orders = [];
  for (let i = 1; i <= 40; i += 1) orders.push(await apiOrder(["Mia", "Noah", "Lena", "Elias", "Sofia", "Luca", "Emma", "Jonas"][i % 8] + ` ${i}`, ["espresso", "tea", "water", "cappuccino", "fruit-juice"][i % 5]));
  for (const [i, o] of orders.entries()) {
    const steps = i < 16 ? ["preparing", "ready"] : i < 28 ? ["preparing"] : [];
    let version = o.version;
    for (const status of steps) {
      const moved = await barApi("PATCH", `/api/orders/${o.id}`, { status, version });
      assertEqual(moved.status, 200, `PATCH ${status}: ${moved.text}`);
      version = moved.json.version;
    }
  }
  await waitUntil("all 16 ready orders on the board", async () =>
    (await tv.locator(".board-ready .board-tile:not([hidden])").count()) === 16, { timeout: 15000 });
  assertEqual((await tv.locator(".board-ready .board-more").textContent()).trim(), "", "no ready order is left out");
  const waitingShown = await tv.locator(".board-waiting .board-tile:not([hidden])").count();
  const more = (await tv.locator(".board-waiting .board-more").textContent()).trim();
  assert(waitingShown === 24 ? more === "" : more === `+${24 - waitingShown} more`,
    `the first column shows ${waitingShown} of 24 and says "${more}"`);
  await noScrolling(tv, "busy");
  await screenshot(tv, "board-busy-tv", { fullPage: false });

  // The network goes away: the board says so, and picks up what happened meanwhile.
  await tv.route("**/api/board", (route) => route.abort("internetdisconnected"));
  await tv.locator(".board-net", { hasText: "Reconnecting" }).waitFor({ timeout: 15000 });
  const open = (await barApi("GET", "/api/queue?limit=200")).json.orders;
  for (const [i, o] of orders.entries()) {
    if (i < 16) continue; // already ready
    let { version } = open.find((x) => x.id === o.id);
    for (const status of i < 28 ? ["ready"] : ["preparing", "ready"]) {
      const moved = await barApi("PATCH", `/api/orders/${o.id}`, { status, version });
      assertEqual(moved.status, 200, `PATCH ${status}: ${moved.text}`);
      version = moved.json.version;
    }
  }
  await tv.unroute("**/api/board");
  log("offline for a while; back online");
  // All 40 ready: every one on screen, none left out, nothing scrolls.
  await waitUntil("all 40 ready orders on the board", async () =>
    (await tv.locator(".board-ready .board-tile:not([hidden])").count()) === 40, { timeout: 45000 });
  assertEqual((await tv.locator(".board-ready .board-more").textContent()).trim(), "", "no ready order is left out");
  assert(await tv.locator(".board-net").isHidden(), "the board is live again");
  await noScrolling(tv, "40 ready");

  assertNoProblems(tv, b);
});
