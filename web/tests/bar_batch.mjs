// Batch work at the bar (issue 14): "start all" of the waiting-per-drink card moves exactly
// the waiting espressos with one request; an espresso another tablet cancelled meanwhile is
// reported, not overwritten; selected orders move with one tap; the compact layout shows at
// least 20 of 40 open orders on a 1024×768 tablet with 44 px tap targets (screenshot).

import {
  TABLET, scenario, newPage, barSignIn, barApi, apiOrder, assert, assertEqual,
  assertNoProblems, waitUntil, screenshot, log,
} from "./lib.mjs";

const batchRequests = (page) => {
  const bodies = [];
  page.on("request", (r) => {
    if (r.method() === "PATCH" && new URL(r.url()).pathname === "/api/orders") bodies.push(JSON.parse(r.postData()));
  });
  return bodies;
};

await scenario("bar_batch", async (browser) => {
  const espressos = [];
  for (const nick of ["Ana", "Ben", "Cleo", "Dora"]) espressos.push(await apiOrder(nick, "espresso"));
  const teas = [await apiOrder("Tom", "tea"), await apiOrder("Tina", "tea")];
  const [ana, ben, cleo, dora] = espressos;
  const started = await barApi("PATCH", `/api/orders/${dora.id}`, { status: "preparing", version: dora.version });
  assertEqual(started.status, 200, `Dora's espresso is already being made: ${started.text}`);

  const a = await newPage(browser, { viewport: TABLET, name: "tablet-a" });
  const b = await newPage(browser, { viewport: TABLET, name: "tablet-b" });
  const sent = batchRequests(a.page);
  await barSignIn(a.page);
  await barSignIn(b.page);
  await a.page.locator(".order-row").nth(5).waitFor();
  await b.page.locator(".order-row").nth(5).waitFor();
  const startAll = a.page.locator('.start-all[data-drink="espresso"]');
  assert((await startAll.textContent()).startsWith("Start 3"), "the card offers to start the three waiting espressos");

  // Tablet A stops hearing the feed; tablet B cancels Ana's espresso meanwhile.
  await a.page.route("**/api/feed**", (route) => route.abort("internetdisconnected"));
  const anaOnB = b.page.locator(`.order-row[data-id="${ana.id}"]`);
  await anaOnB.locator(".button-danger").click();
  await anaOnB.locator(".button-danger.confirming").click();
  await anaOnB.waitFor({ state: "detached" });
  log("tablet B cancelled Ana's espresso; tablet A does not know yet");

  const [response] = await Promise.all([
    a.page.waitForResponse((r) => r.request().method() === "PATCH" && new URL(r.url()).pathname === "/api/orders"),
    startAll.click(),
  ]);
  assertEqual(sent.length, 1, "one request for the whole batch");
  assertEqual(JSON.stringify(sent[0].changes.map((c) => c.id).sort((x, y) => x - y)),
    JSON.stringify([ana.id, ben.id, cleo.id]), "the batch lists exactly the waiting espressos");
  const answer = await response.json();
  assertEqual(JSON.stringify(answer.moved.map((o) => o.id)), JSON.stringify([ben.id, cleo.id]), "Ben's and Cleo's moved");
  assertEqual(answer.conflicts.length, 1, "one change was refused");
  assertEqual(answer.conflicts[0].type, "/problems/version-conflict", "because Ana's order changed meanwhile");
  const told = a.page.locator(".toast-warning", { hasText: `#${ana.number}` });
  await told.waitFor();
  log(`tablet A was told: ${(await told.textContent()).trim()}`);
  await a.page.locator(`.order-row[data-id="${ana.id}"]`).waitFor({ state: "detached" });
  for (const o of [ben, cleo]) await a.page.locator(`.order-row[data-id="${o.id}"] .badge-preparing`).waitFor();
  await a.page.unroute("**/api/feed**");

  const queue = (await barApi("GET", "/api/queue")).json.orders;
  const status = (o) => queue.find((q) => q.id === o.id)?.status ?? "gone";
  assertEqual(status(ana), "gone", "Ana's espresso stays cancelled (not overwritten)");
  for (const o of [ben, cleo, dora]) assertEqual(status(o), "preparing", `${o.nickname}'s espresso is being made`);
  for (const o of teas) assertEqual(status(o), "placed", `${o.nickname}'s tea is untouched`);

  // Select the two teas and start them with one tap; tablet B follows.
  for (const o of teas) await a.page.locator(`.order-row[data-id="${o.id}"] .row-select`).click();
  await a.page.locator(".selection-count", { hasText: "2 selected" }).waitFor();
  await a.page.locator('.selection-bar [data-action="batch-move"][data-next="preparing"]').click();
  for (const o of teas) await b.page.locator(`.order-row[data-id="${o.id}"] .badge-preparing`).waitFor({ timeout: 10000 });
  await a.page.locator(".selection-bar").waitFor({ state: "hidden" });
  assertEqual(sent.length, 2, "the selection went as one request too");

  // 40 open orders: the compact layout shows at least 20 of them at 1024×768.
  const drinks = ["espresso", "cappuccino", "tea", "water", "fruit-juice"];
  const names = ["Amélie", "Bogdan", "Chen", "Dagrun", "Eero", "Fatou", "Gustavo", "Hana", "Ingrid", "Jamal"];
  for (let i = 0; i < 35; i += 1) await apiOrder(`${names[i % names.length]} ${i + 1}`, drinks[i % drinks.length]);
  await waitUntil("tablet A shows 40 open orders", async () => (await a.page.locator(".order-row").count()) === 40, { timeout: 20000 });
  await a.page.click("#compact-toggle");
  await a.page.locator(".panel-queue.is-compact").waitFor();
  await a.page.evaluate(() => window.scrollTo(0, 0));
  const layout = await a.page.evaluate(() => {
    const rows = [...document.querySelectorAll(".order-row")];
    const inView = rows.filter((r) => {
      const box = r.getBoundingClientRect();
      return box.top >= 0 && box.bottom <= window.innerHeight && box.left >= 0 && box.right <= window.innerWidth;
    });
    // The buttons shown (the compact row leaves "Hide name" to the normal layout).
    const targets = inView.flatMap((r) => [...r.querySelectorAll("button")])
      .filter((el) => el.checkVisibility())
      .map((el) => el.getBoundingClientRect());
    return {
      inView: inView.length,
      smallest: Math.min(...targets.map((t) => Math.min(t.width, t.height))),
      overflow: document.documentElement.scrollWidth > window.innerWidth,
    };
  });
  log(`compact: ${layout.inView} orders fully in view, smallest tap target ${layout.smallest} px`);
  await a.page.evaluate(() => document.getElementById("toasts")?.replaceChildren());
  await screenshot(a.page, "bar-compact-tablet", { fullPage: false });
  assert(layout.inView >= 20, `at least 20 open orders in view at 1024×768, got ${layout.inView}`);
  assert(layout.smallest >= 44, `every button of a row is at least 44 px, smallest ${layout.smallest}`);
  assert(!layout.overflow, "no horizontal scrolling");
  await a.page.reload();
  await a.page.locator(".panel-queue.is-compact .order-row").first().waitFor();
  log("the compact layout is remembered");

  assertNoProblems(a.page, b.page);
});
