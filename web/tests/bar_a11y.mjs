// axe-core (npm) on the bar page: the sign-in form, the queue with a selection, the undo bar
// and the waiting-per-drink card, the compact queue, and the Event tab with "after the
// event": no serious or critical violation of WCAG 2.1 A/AA rules.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  APP_URL, TABLET, BAR_TOKEN, scenario, newPage, barApi, apiOrder, assert, assertNoProblems, log,
} from "./lib.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Runs axe on the page as it is (evaluated over the DevTools protocol, so the page's CSP,
 * which allows no inline script, does not apply); returns the serious and critical ones. */
async function seriousViolations(page, what) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  }));
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  log(`${what}: ${results.passes.length} rules pass, ${results.violations.length} violations, ${bad.length} serious or critical`);
  return bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);
}

await scenario("bar_a11y", async (browser) => {
  const orders = [];
  for (const [nick, drink] of [["Ana", "espresso"], ["Ben", "espresso"], ["Cleo", "tea"], ["Dan", "water"]]) {
    orders.push(await apiOrder(nick, drink));
  }
  await barApi("PATCH", "/api/orders", { changes: [{ id: orders[2].id, status: "preparing", version: 1 }] });
  const { page } = await newPage(browser, { viewport: TABLET, name: "bar" });
  const problems = [];

  await page.goto(`${APP_URL}/?bar`);
  await page.locator("#bar-token").waitFor();
  problems.push(...await seriousViolations(page, "sign-in"));

  await page.fill("#bar-token", BAR_TOKEN);
  await page.click(".signin button[type=submit]");
  await page.locator(".order-row").nth(3).waitFor();
  await page.locator(`.order-row[data-id="${orders[0].id}"] .row-select`).click();
  await page.locator(".selection-bar:not([hidden])").waitFor();
  const dan = page.locator(`.order-row[data-id="${orders[3].id}"]`);
  await dan.locator(".button-danger").click();
  await dan.locator(".button-danger.confirming").click();
  await page.locator(".undo-bar:not([hidden])").waitFor();
  problems.push(...await seriousViolations(page, "queue with a selection and the undo bar"));

  await page.click("#compact-toggle");
  await page.locator(".panel-queue.is-compact").waitFor();
  problems.push(...await seriousViolations(page, "compact queue"));

  await page.click("#tab-event");
  await page.click('[data-action="purge"]');
  await page.locator(".purge-question").waitFor();
  problems.push(...await seriousViolations(page, "event tab, deleting closed orders"));

  assert(problems.length === 0, `axe found serious or critical violations:\n  ${problems.join("\n  ")}`);
  assertNoProblems(page);
});
