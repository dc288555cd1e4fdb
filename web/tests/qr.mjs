// The poster (?qr) shows a QR code that decodes to the visitor URL (the page's origin, or a
// ?url= override), the event title and the live ticker.

import {
  APP_URL, PHONE, TABLET, scenario, newPage, apiOrder, screenshot, assert, assertEqual,
  assertNoProblems, decodeQr, log,
} from "./lib.mjs";

await scenario("the poster's QR code decodes to the visitor URL", async (browser) => {
  const { page } = await newPage(browser, { viewport: TABLET, name: "poster" });
  await page.goto(`${APP_URL}/?qr`);
  assertEqual(await decodeQr(page), `${APP_URL}/`, "QR of the page's own origin");
  assert((await page.locator("h1.poster-title").textContent()).trim().length > 0, "event title shown");
  assertEqual((await page.locator(".qr-url").textContent()).trim(), new URL(APP_URL).host, "readable URL under the code");

  await apiOrder("Poster Pia", "tea");
  await page.locator(".ticker-item", { hasText: "Poster Pia" }).waitFor({ timeout: 10000 });
  await screenshot(page, "qr-poster-tablet");

  const phone = await newPage(browser, { viewport: PHONE, name: "poster-phone" });
  await phone.page.goto(`${APP_URL}/?qr`);
  assertEqual(await decodeQr(phone.page), `${APP_URL}/`, "QR on a small screen too");
  await screenshot(phone.page, "qr-poster-phone");

  const override = "https://drinks.example.org/?event=summer";
  await page.goto(`${APP_URL}/?qr&url=${encodeURIComponent(override)}&title=${encodeURIComponent("Summer Fest")}`);
  assertEqual(await decodeQr(page), override, "QR of the ?url= override");
  assertEqual((await page.locator("h1.poster-title").textContent()).trim(), "Summer Fest", "?title= sets the title");

  await page.goto(`${APP_URL}/?qr&url=${encodeURIComponent("javascript:alert(1)")}`);
  assertEqual(await decodeQr(page), `${APP_URL}/`, "a non-http ?url= falls back to the origin");
  assertEqual(page.dialogs.length, 0, "nothing ran");
  assertNoProblems(page, phone.page);
  log("QR codes decode");
});
