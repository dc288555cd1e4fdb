// The menu from the bar tablet (issue 12): the bar adds a drink with a German name and an
// uploaded picture, a German visitor sees it appear without a reload and orders it; the bar
// picks a drawn icon for another drink; the bar renames a drink and moves
// one up (open phones follow); the bar takes a drink off the menu: it leaves the phones, an
// order for it is refused with a clear problem, and the CSV keeps its earlier orders.

import { fileURLToPath } from "node:url";
import {
  APP_URL, PHONE, TABLET, scenario, newPage, barSignIn, barApi, apiOrder, screenshot,
  assertEqual, assertNoProblems, waitForOrderNumber, waitUntil, log,
} from "./lib.mjs";

const drinkOrder = (page) => page.locator("button.drink").evaluateAll((els) => els.map((e) => e.dataset.drink));

await scenario("the bar sets the menu", async (browser) => {
  await apiOrder("Early Eve", "water");
  const visitor = await newPage(browser, { viewport: PHONE, locale: "de-DE", name: "visitor-de" });
  const v = visitor.page;
  await v.goto(`${APP_URL}/`);
  await v.locator('button.drink[data-drink="tea"]').waitFor();

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  const b = bar.page;
  await barSignIn(b);
  await b.click("#tab-stock");

  // Add a drink with an English and a German name.
  await b.fill("#names-add-en", "Club-Mate");
  await b.fill("#names-add-de", "Mate-Limo");
  await b.fill("#description-add-en", "Caffeinated lemonade");
  await b.fill("#description-add-de", "Koffeinlimo");
  await b.fill("#add-stock", "12");
  await b.setInputFiles("#add-picture", fileURLToPath(new URL("../../tests/fixtures/drink.png", import.meta.url)));
  await b.click(".add-drink button[type=submit]");
  await b.locator(".toast", { hasText: "is on the menu" }).waitFor();
  const mate = v.locator('button.drink[data-drink="club-mate"]');
  await mate.locator(".drink-name", { hasText: "Mate-Limo" }).waitFor({ timeout: 10000 });
  assertEqual((await mate.locator(".drink-description").textContent()).trim(), "Koffeinlimo", "the German description");
  await waitUntil("the uploaded picture is shown", async () => {
    const src = await mate.locator("img").getAttribute("src");
    const loaded = await mate.locator("img").evaluate((img) => img.complete && img.naturalWidth === 64);
    return src?.startsWith("/api/pictures/") && loaded ? src : null;
  });
  log("added: the German visitor sees the German name and the picture without a reload");
  await v.fill("#nickname", "Mia");
  await mate.click();
  await waitForOrderNumber(v);
  log("ordered the new drink");

  // Rename tea in German; move the new drink up.
  const teaRow = b.locator('.stock-row[data-drink="tea"]');
  await teaRow.locator("summary").click();
  await b.fill("#names-tea-de", "Schwarztee");
  await teaRow.locator(".names-form button[type=submit]").click();
  await v.locator('button.drink[data-drink="tea"] .drink-name', { hasText: "Schwarztee" }).waitFor({ timeout: 10000 });
  const mateRow = b.locator('.stock-row[data-drink="club-mate"]');
  await mateRow.locator("summary").click();
  await mateRow.locator('button[data-action="move-drink"][data-dir="up"]').click();
  await waitUntil("club-mate moved above wine on the phone", async () => {
    const order = await drinkOrder(v);
    return order.indexOf("club-mate") < order.indexOf("wine") ? order : null;
  });
  log("renamed and moved: the phone follows");

  // A drawn icon for cappuccino.
  const cappuccinoRow = b.locator('.stock-row[data-drink="cappuccino"]');
  await cappuccinoRow.locator("summary").click();
  await cappuccinoRow.locator('label[for="icon-cappuccino-latte"]').click();
  await v.locator('button.drink[data-drink="cappuccino"] img[src="/img/drinks/latte.svg"]').waitFor({ timeout: 10000 });
  log("an icon picked at the bar shows on the phone");

  // Take water off the menu while this phone hears nothing (its polls cut): its tap is
  // refused with a clear message, and the menu it then reads has no water.
  await v.route("**/api/visit**", (route) => route.abort("internetdisconnected"));
  const waterRow = b.locator('.stock-row[data-drink="water"]');
  await waterRow.locator("summary").click();
  await waterRow.locator('button[data-action="retire-drink"]').click();
  await b.locator(".retired-list", { hasText: "Water" }).waitFor();
  await v.fill("#nickname", "Late Lou");
  await v.click('button.drink[data-drink="water"]');
  await v.locator(".notice", { hasText: "nicht mehr" }).waitFor({ timeout: 10000 });
  await v.unroute("**/api/visit**");
  await v.locator('button.drink[data-drink="water"]').waitFor({ state: "detached", timeout: 10000 });
  const refused = await fetch(`${APP_URL}/api/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ visitor_id: crypto.randomUUID(), nickname: "Late Lou", drink: "water", request_id: crypto.randomUUID() }),
  });
  assertEqual(refused.status, 409, "an order for a retired drink is refused");
  assertEqual((await refused.json()).type, "/problems/drink-retired", "with a clear problem");
  const csv = await barApi("GET", "/api/queue?format=csv");
  assertEqual(csv.text.includes(",Early Eve,water,"), true, "the CSV keeps the retired drink's orders");
  await screenshot(b, "bar-menu-tablet");
  log("retired: gone from the phone, refused, kept in the CSV");
  assertNoProblems(v, b);
});
