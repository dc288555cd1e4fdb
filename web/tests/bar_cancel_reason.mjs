// A cancel by the bar with a reason (issue 14): the bar arms the cancel, types a short
// reason and confirms; the visitor's page shows "Cancelled by the bar: <reason>", as text.
// The bar's Done tab then finds the order by its number and by part of the nickname.

import {
  APP_URL, PHONE, TABLET, scenario, newPage, order, waitForOrderNumber, barSignIn,
  assertEqual, assertNoProblems, waitUntil, log,
} from "./lib.mjs";

const REASON = "Out of oat milk <b>sorry</b>";

await scenario("bar_cancel_reason", async (browser) => {
  const visitor = await newPage(browser, { viewport: PHONE, name: "visitor" });
  const v = visitor.page;
  await v.goto(`${APP_URL}/`);
  await order(v, "Ana", "espresso");
  const number = await waitForOrderNumber(v);

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  const b = bar.page;
  await barSignIn(b);
  const row = b.locator(".order-row", { hasText: "Ana" });
  await row.locator("button.button-danger").click();
  const input = row.locator("input.cancel-reason-input");
  await input.fill(REASON);
  await row.locator("button.button-danger.confirming").click();
  await row.waitFor({ state: "detached" });
  log(`${number} cancelled by the bar with a reason`);

  await v.locator(".status-card.status-cancelled").waitFor({ timeout: 10000 });
  const shown = v.locator("#cancel-reason");
  await shown.waitFor({ timeout: 10000 });
  assertEqual(await shown.textContent(), `Cancelled by the bar: ${REASON}`, "the visitor sees the reason");
  assertEqual(await shown.locator("b").count(), 0, "the reason is text, not markup");
  log("the visitor sees why");

  // A second order, served, so that a search has something to leave out.
  const other = await newPage(browser, { viewport: PHONE, name: "other" });
  await other.page.goto(`${APP_URL}/`);
  await order(other.page, "Benedikt", "espresso");
  const benRow = b.locator(".order-row", { hasText: "Benedikt" });
  await benRow.locator("button.action-preparing").click();
  await benRow.locator("button.action-ready").click();
  await benRow.locator("button.action-served").click();
  await benRow.waitFor({ state: "detached" });

  await b.getByRole("tab", { name: "Done" }).click();
  const rows = b.locator(".done-list .done-row");
  await waitUntil("both closed orders in the Done list", async () => (await rows.count()) === 2);
  assertEqual(await rows.first().locator(".row-nick").textContent(), "Benedikt", "newest first");
  const search = async (q) => {
    await b.locator("#done-q").fill(q);
    await b.locator(".done-search button[type=submit]").click();
  };
  await search(number);
  await waitUntil(`only ${number} for its number`, async () => (await rows.count()) === 1
    && (await rows.first().locator(".row-nick").textContent()) === "Ana");
  const ana = rows.first();
  assertEqual(await ana.locator(".done-by").textContent(), "by the bar", "who cancelled");
  assertEqual(await ana.locator(".done-reason").textContent(), `Reason: ${REASON}`, "the reason, as text");
  assertEqual(await ana.locator(".done-reason b").count(), 0, "no markup from the reason");
  await search("NEDI");
  await waitUntil("Benedikt for part of the nickname", async () => (await rows.count()) === 1
    && (await rows.first().locator(".row-nick").textContent()) === "Benedikt");
  await search("nobody");
  await b.locator(".done-empty").waitFor();
  log("the Done list finds orders by number and by nickname");
  assertNoProblems(v, b, other.page);
});
