// Clean public screens: the bar hides a nickname from its queue and an open board and an
// open poster show "Guest #N" instead, without a reload, while the bar still shows the
// name; "Show name" brings it back; a ready order not collected dims. The Event tab saves
// refused words and the dimming time; a nickname with a refused word (case and accents
// ignored) gets a clear message at the nickname field of the visitor page.

import {
  APP_URL, PHONE, TABLET, scenario, newPage, order, barSignIn, barApi, apiOrder, assert,
  assertEqual, assertNoProblems, waitUntil, log,
} from "./lib.mjs";

await scenario("a hidden nickname leaves the public screens live; a refused word is explained", async (browser) => {
  const rude = await apiOrder("Rude Dude", "tea");
  const guest = `Guest #${rude.number}`;

  const board = await newPage(browser, { viewport: { width: 1280, height: 720 }, name: "board" });
  // The board's clock is Playwright's (it runs as usual until fast-forwarded below).
  await board.context.clock.install();
  await board.page.goto(`${APP_URL}/?board`);
  const tile = board.page.locator(`.board-tile[data-number="${rude.number}"] .board-name`);
  await tile.filter({ hasText: "Rude Dude" }).waitFor();

  const poster = await newPage(browser, { viewport: TABLET, name: "poster" });
  await poster.page.goto(`${APP_URL}/?qr`);
  const ticker = poster.page.locator(`.ticker-item[data-id="${rude.id}"] .nick`);
  await ticker.filter({ hasText: "Rude Dude" }).waitFor();

  const bar = await newPage(browser, { viewport: TABLET, name: "bar" });
  await barSignIn(bar.page);
  const row = bar.page.locator(".order-row", { hasText: "Rude Dude" });
  await row.locator("button.name-toggle").click();
  await row.locator(".badge-hidden").waitFor();
  assertEqual(await row.locator("button.name-toggle").getAttribute("aria-pressed"), "true", "the toggle says hidden");

  await tile.filter({ hasText: guest }).waitFor({ timeout: 10000 });
  await ticker.filter({ hasText: guest }).waitFor({ timeout: 10000 });
  for (const page of [board.page, poster.page]) {
    const text = await page.locator("main").textContent();
    assert(!text.includes("Rude Dude"), "the name is gone from the public screen");
  }
  assert((await row.textContent()).includes("Rude Dude"), "the bar still sees the name");
  log(`hidden: board and poster show ${guest}`);

  // The poster's "Ready" strip shows the number once it is ready.
  let version = (await barApi("GET", "/api/queue")).json.orders.find((o) => o.id === rude.id).version;
  for (const status of ["preparing", "ready"]) {
    const moved = await barApi("PATCH", `/api/orders/${rude.id}`, { status, version });
    assertEqual(moved.status, 200, moved.text);
    version = moved.json.version;
  }
  await poster.page.locator(".poster-ready-number", { hasText: String(rude.number) }).waitFor({ timeout: 10000 });
  log("the poster's ready strip shows the number");

  // Not collected for longer than the event's dimming time (5 minutes): dimmed. The board is
  // cut off first, so that no new board resets its idea of the server's clock.
  const readyTile = board.page.locator(`.board-ready .board-tile[data-number="${rude.number}"]`);
  await readyTile.waitFor({ timeout: 10000 });
  assert(!(await readyTile.getAttribute("class")).includes("is-dim"), "not dimmed at first");
  await board.page.route("**/api/board", (route) => route.abort("internetdisconnected"));
  await board.page.clock.fastForward("06:00");
  await board.page.locator(`.board-ready .board-tile.is-dim[data-number="${rude.number}"]`).waitFor({ timeout: 10000 });
  await board.page.unroute("**/api/board");
  log("dimmed after 5 minutes");

  await row.locator("button.name-toggle").click();
  await tile.filter({ hasText: "Rude Dude" }).waitFor({ timeout: 10000 });
  await ticker.filter({ hasText: "Rude Dude" }).waitFor({ timeout: 10000 });
  log("shown again");
  assertNoProblems(board.page, poster.page, bar.page);

  // The bar's Event tab: refused words (shown as they are matched) and the dimming time.
  await bar.page.click("#tab-event");
  const words = bar.page.locator("#event-refused-words");
  await bar.page.locator("#event-refused-words:not([disabled])").waitFor();
  await words.fill("Idiot\nZüt");
  await bar.page.fill("#event-dim-minutes", "7");
  await bar.page.click("form[data-action=event] button[type=submit]");
  await waitUntil("the words saved and shown folded", async () => (await words.inputValue()) === "idiot\nzut");
  assertEqual(JSON.stringify((await barApi("GET", "/api/event/words")).json), JSON.stringify({ refused_words: ["idiot", "zut"] }), "stored");
  const menu = await (await fetch(`${APP_URL}/api/menu`)).json();
  assertEqual(menu.event.ready_dim_minutes, 7, "the dimming time is the event's");
  log("the Event tab saved the words and the dimming time");

  // A refused word: the visitor page says so at the nickname, and nothing is placed.
  const visitor = await newPage(browser, { viewport: PHONE, name: "visitor" });
  const v = visitor.page;
  await v.goto(`${APP_URL}/`);
  await order(v, "Super-ÏDIOT", "tea");
  const error = v.locator("#nickname-error");
  await error.filter({ hasText: "not allowed" }).waitFor({ timeout: 10000 });
  assertEqual(await v.getAttribute("#nickname", "aria-invalid"), "true", "the field is marked");
  const queue = (await barApi("GET", "/api/queue")).json.orders;
  assert(queue.every((o) => o.nickname !== "Super-ÏDIOT"), "nothing was placed");
  await order(v, "Ana", "tea");
  await v.locator(".status-card.status-placed").waitFor({ timeout: 10000 });
  assertEqual(await v.locator("#nickname-error").textContent(), "", "the message is gone");
  assertNoProblems(v, bar.page);
});
