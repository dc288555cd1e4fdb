// Accessibility (issue 13): axe-core (npm, through @axe-core/playwright) finds no serious or
// critical violation on the visitor page, the bar and the poster, in each of their states.
// The nickname field's counter counts what people see (grapheme clusters), as the server
// does, and flags "too long" while typing.
// The bar's side panel breaks no word in any language at 1024 and 1366 px.

import { AxeBuilder } from "@axe-core/playwright";
import {
  APP_URL, PHONE, TABLET, scenario, newPage, order, waitForOrderNumber, barSignIn, barApi,
  apiOrder, assert, assertEqual, log,
} from "./lib.mjs";

const found = [];

/** Runs axe on `page` as it is now; records serious and critical violations under `state`. */
async function check(page, state) {
  // Entrance animations end first (axe would measure a half-faded text's contrast).
  await page.waitForFunction(() => document.getAnimations()
    .every((a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity));
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) {
    found.push(`${state}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  }
  log(`${state}: ${result.passes.length} rules pass, ${bad.length} serious or critical`);
}

await scenario("axe finds nothing serious on any page", async (browser) => {
  await apiOrder("Someone", "tea");

  const { page: phone } = await newPage(browser, { viewport: PHONE, name: "visitor" });
  await phone.goto(`${APP_URL}/`);
  await phone.locator('button.drink[data-drink="espresso"]').waitFor();
  await phone.locator(".ticker li").first().waitFor();
  await check(phone, "visitor, no order");
  await phone.click('button.drink[data-drink="espresso"]');
  await phone.locator("#nickname-error").filter({ hasText: /./ }).waitFor();
  await check(phone, "visitor, nickname missing");
  // The counter counts as the server does and says "too long" while typing, before any tap.
  // A family of four joined with ZWJ is 7 code points and one character, here as on the server.
  await phone.fill("#nickname", "👨\u200d👩\u200d👧\u200d👦".repeat(32));
  assertEqual(await phone.locator("#nickname-count").textContent(), "32 of 32 characters", "the counter at the limit");
  assertEqual(await phone.locator("#nickname-error").textContent(), "", "no error at the limit");
  await phone.fill("#nickname", "a".repeat(32));
  await phone.type("#nickname", "x");
  assertEqual(await phone.locator("#nickname-count").textContent(), "33 of 32 characters", "the counter over the limit");
  await phone.locator("#nickname-error", { hasText: "at most 32" }).waitFor();
  await check(phone, "visitor, nickname too long");
  await order(phone, "Axel", "espresso");
  await waitForOrderNumber(phone);
  await phone.locator(".alerts").waitFor();
  await check(phone, "visitor, order placed");
  const id = await phone.evaluate(() => JSON.parse(localStorage.getItem("order")).id);
  for (const status of ["preparing", "ready"]) {
    const row = (await barApi("GET", "/api/queue")).json.orders.find((o) => o.id === id);
    await barApi("PATCH", `/api/orders/${id}`, { status, version: row.version });
  }
  await phone.locator(".status-card.status-ready").waitFor({ timeout: 20000 });
  await check(phone, "visitor, ready");
  await phone.click('button.drink[data-drink="tea"]');
  await phone.locator(".notice").waitFor();
  await check(phone, "visitor, notice");
  await phone.click('.lang-button[lang="fr"]');
  await phone.locator("html[lang=fr]").waitFor();
  await check(phone, "visitor, French");

  const { page: bar } = await newPage(browser, { viewport: TABLET, name: "bar" });
  await bar.goto(`${APP_URL}/?bar`);
  await bar.locator("#bar-token").waitFor();
  await check(bar, "bar, sign-in");
  await barSignIn(bar);
  await bar.locator(".queue-row, .order-row, [data-order]").first().waitFor();
  await check(bar, "bar, queue");
  for (const tab of await bar.locator('[role="tab"]').all()) {
    const name = (await tab.textContent()).trim();
    await tab.click();
    await bar.waitForLoadState("networkidle").catch(() => {});
    await check(bar, `bar, tab ${name}`);
  }

  // The bar's side panel breaks no word in any language at 1024 and 1366 px.
  await bar.click("#tab-queue");
  await bar.locator(".batch-item").first().waitFor();
  for (const lang of ["de", "fr", "it", "en"]) {
    await bar.click(`.lang-button[lang="${lang}"]`);
    await bar.locator(`html[lang="${lang}"]`).waitFor();
    for (const width of [1024, 1366]) {
      await bar.setViewportSize({ width, height: 800 });
      const broken = await bar.evaluate(() => {
        const words = [];
        const walker = document.createTreeWalker(document.querySelector(".side"), NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const m of node.data.matchAll(/\S+/g)) {
            const range = document.createRange();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
            if (lines.size > 1) words.push(m[0]);
          }
        }
        return words;
      });
      if (broken.length) found.push(`bar side panel, ${lang} at ${width} px: words broken: ${broken.join(", ")}`);
    }
  }
  log("bar side panel: no word broken in 4 languages at 1024 and 1366 px");

  const { page: poster } = await newPage(browser, { viewport: TABLET, name: "poster" });
  await poster.goto(`${APP_URL}/?qr`);
  await poster.locator("svg.qr-code").waitFor();
  await check(poster, "poster");

  assert(found.length === 0, `axe found serious or critical violations:\n  ${found.join("\n  ")}`);
});
