// i18n: English, German, French and Italian; the language comes from the browser, the
// switch is visible and works, drink names (from the menu) are translated, no key is missing
// or shown raw.
// Also: every page fits a 320 px wide screen without sideways scrolling, and the phone
// header keeps the name and the language switch on one row.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  APP_URL, NARROW, PHONE, TABLET, scenario, newPage, barSignIn, apiOrder, screenshot, assert,
  assertEqual, assertNoProblems, log, waitUntil,
} from "./lib.mjs";

const LANGS = ["en", "de", "fr", "it"];
const locale = Object.fromEntries(LANGS.map((l) => [
  l,
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../static/locale/${l}.json`, import.meta.url)), "utf8")),
]));

function rawKeysShown(page) {
  return page.evaluate(() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const text = walker.currentNode.textContent.trim();
      if (/^[a-z]+(\.[a-z_-]+)+$/.test(text) || /\{[a-z]+\}/.test(text)) found.push(text);
    }
    for (const el of document.querySelectorAll("[aria-label],[placeholder]")) {
      for (const attr of ["aria-label", "placeholder"]) {
        const value = el.getAttribute(attr);
        if (value && (/^[a-z]+(\.[a-z_-]+)+$/.test(value) || /\{[a-z]+\}/.test(value))) found.push(value);
      }
    }
    return found;
  });
}

async function fits(page, where) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert(scroll <= width, `${where}: no sideways scrolling at ${width}px (content is ${scroll}px wide)`);
}

/** The phone header keeps the name and the language switch on one row. */
async function headerOneRow(page, where) {
  const oneRow = await page.evaluate(() => {
    const brand = document.querySelector(".brand").getBoundingClientRect();
    const languages = document.querySelector(".lang-switch").getBoundingClientRect();
    return languages.top < brand.bottom && brand.top < languages.bottom;
  });
  assert(oneRow, `${where}: the header's name and language switch are on one row`);
}

await scenario("translated pages; 320 px", async (browser) => {
  // Drink names come from the menu (the bar sets them per language).
  const menu = await (await fetch(`${APP_URL}/api/menu`)).json();
  const teaNames = menu.drinks.find((d) => d.id === "tea").names;
  assertEqual(LANGS.every((l) => teaNames[l]), true, "the seeded tea has a name in every language");
  const keys = Object.keys(locale.en).sort();
  for (const l of LANGS) {
    assertEqual(JSON.stringify(Object.keys(locale[l]).sort()), JSON.stringify(keys), `${l}.json has exactly the keys of en.json`);
    for (const [key, value] of Object.entries(locale[l])) {
      assert(typeof value === "string" && value.trim().length > 0, `${l}.json ${key} is not empty`);
    }
  }

  const pages = [];
  for (const [l, browserLocale] of [["en", "en-GB"], ["de", "de-AT"], ["fr", "fr-CH"], ["it", "it-IT"]]) {
    const { page } = await newPage(browser, { viewport: PHONE, locale: browserLocale, name: `visitor-${l}` });
    pages.push(page);
    await page.goto(`${APP_URL}/`);
    await page.locator('button.drink[data-drink="tea"]').waitFor();
    assertEqual(await page.getAttribute("html", "lang"), l, `browser ${browserLocale} picks ${l}`);
    assertEqual((await page.locator("h1.page-title").textContent()).trim(), locale[l]["visitor.title"], `${l} heading`);
    assertEqual((await page.locator('button.drink[data-drink="tea"] .drink-name').textContent()).trim(), teaNames[l], `${l} drink name`);
    assertEqual(await page.getAttribute(`.lang-button[lang="${l}"]`, "aria-pressed"), "true", `${l} is marked in the switch`);
    assertEqual(JSON.stringify(await rawKeysShown(page)), "[]", `${l}: no raw keys`);
  }

  // The switch: from German to Italian and back to English, remembered across a reload.
  const { page } = await newPage(browser, { viewport: PHONE, locale: "de-DE", name: "switch" });
  pages.push(page);
  await page.goto(`${APP_URL}/`);
  await page.locator('button.drink[data-drink="fruit-juice"]').waitFor();
  await page.click('.lang-button[lang="it"]');
  await page.locator("h1.page-title", { hasText: locale.it["visitor.title"] }).waitFor();
  assertEqual((await page.locator('button.drink[data-drink="fruit-juice"] .drink-name').textContent()).trim(), "Succo di frutta", "drink names switch too");
  await page.reload();
  await page.locator("h1.page-title", { hasText: locale.it["visitor.title"] }).waitFor();
  await page.click('.lang-button[lang="fr"]');
  await page.locator("h1.page-title", { hasText: locale.fr["visitor.title"] }).waitFor();
  await screenshot(page, "visitor-fr-phone");

  // The bar and the poster in German, without raw keys.
  const bar = await newPage(browser, { viewport: TABLET, locale: "de-DE", name: "bar-de" });
  pages.push(bar.page);
  await barSignIn(bar.page);
  await bar.page.locator("#tab-queue", { hasText: locale.de["bar.tab.queue"] }).waitFor();
  for (const tab of ["done", "stock", "event", "stats", "queue"]) {
    await bar.page.click(`#tab-${tab}`);
    await bar.page.waitForTimeout(tab === "stats" ? 800 : 100);
    assertEqual(JSON.stringify(await rawKeysShown(bar.page)), "[]", `bar ${tab} (de): no raw keys`);
  }
  const poster = await newPage(browser, { viewport: TABLET, locale: "it-IT", name: "poster-it" });
  pages.push(poster.page);
  await poster.page.goto(`${APP_URL}/?qr`);
  await poster.page.locator("h1.poster-title", { hasText: locale.it["poster.title"] }).waitFor();
  assertEqual(JSON.stringify(await rawKeysShown(poster.page)), "[]", "poster (it): no raw keys");

  // The counter screen in French, with an order on it.
  await apiOrder("Zoé", "tea");
  const board = await newPage(browser, { viewport: { width: 1280, height: 720 }, locale: "fr-FR", name: "board-fr" });
  pages.push(board.page);
  await board.page.goto(`${APP_URL}/?board`);
  await board.page.locator(".board-ready .board-heading", { hasText: locale.fr["board.ready"] }).waitFor();
  await board.page.locator(".board-tile", { hasText: "Zoé" }).waitFor();
  assertEqual(JSON.stringify(await rawKeysShown(board.page)), "[]", "board (fr): no raw keys");

  // 320 px wide: every page, longest language first.
  for (const l of ["de", "fr", "it", "en"]) {
    const narrow = await newPage(browser, { viewport: NARROW, locale: l, name: `narrow-${l}` });
    pages.push(narrow.page);
    await narrow.page.goto(`${APP_URL}/`);
    await narrow.page.locator('button.drink[data-drink="tea"]').waitFor();
    await fits(narrow.page, `visitor ${l}`);
    await headerOneRow(narrow.page, `visitor ${l}`);
    await narrow.page.goto(`${APP_URL}/?qr`);
    await narrow.page.locator("svg.qr-code").waitFor();
    await fits(narrow.page, `poster ${l}`);
    assertEqual(await narrow.page.title(), locale[l]["title.poster"], `the poster's tab title in ${l}`);
    await barSignIn(narrow.page);
    await narrow.page.locator("#tab-queue").waitFor();
    await fits(narrow.page, `bar ${l}`);
    assertEqual(await narrow.page.title(), locale[l]["title.bar"], `the bar's tab title in ${l}`);
    await narrow.page.goto(`${APP_URL}/`);
    await waitUntil("the visitor's tab title", async () => (await narrow.page.title()) === locale[l]["app.title"]);
    if (l === "de") await screenshot(narrow.page, "bar-320-de");
  }
  assertNoProblems(...pages);
  log("4 languages, 320 px ok");
});
