// Shared helpers of the browser tests (headless Chromium through playwright-core).
//
// Environment (set by tests/tests/browser.rs):
//   APP_URL          http://127.0.0.1:PORT of the development host (fresh database)
//   BAR_TOKEN        the bar token the host was started with
//   SCREENSHOT_DIR   where screenshots go (target/screenshots)
//   CHROMIUM         optional path of the browser (default /usr/bin/chromium)

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import jsQR from "jsqr";

export const APP_URL = (process.env.APP_URL || "http://127.0.0.1:3100").replace(/\/$/, "");
export const BAR_TOKEN = process.env.BAR_TOKEN || "";
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || "target/screenshots";
export const PHONE = { width: 390, height: 844 };
export const TABLET = { width: 1024, height: 768 };
export const NARROW = { width: 320, height: 640 };

const LIMIT_MS = Number(process.env.SCENARIO_TIMEOUT_MS || 120000);

export function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

export class AssertionError extends Error {}

export function assert(condition, message) {
  if (!condition) throw new AssertionError(message);
}

export function assertEqual(actual, expected, message) {
  if (actual !== expected) {
    throw new AssertionError(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Launches Chromium the way the project's rules say (no downloads, fresh profile). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A fresh browser context (own storage, like a separate device) and a page in it, with
 * console errors, page errors and dialogs recorded; `page.problems` lists them.
 */
export async function newPage(browser, { viewport = PHONE, locale = "en-US", name = "page", contextOptions = {} } = {}) {
  const context = await browser.newContext({ viewport, locale, deviceScaleFactor: 1, ...contextOptions });
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on("pageerror", (error) => page.problems.push(`${name}: page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource/.test(message.text())) {
      page.problems.push(`${name}: console error: ${message.text()}`);
    }
  });
  page.on("dialog", async (dialog) => {
    page.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.setDefaultTimeout(15000);
  return { context, page };
}

export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage, animations: "disabled", caret: "hide" });
  log(`screenshot ${path}`);
  return path;
}

/** Opens the visitor page, sets the nickname and taps a drink. */
export async function order(page, nickname, drink) {
  await page.fill("#nickname", nickname);
  await page.click(`button.drink[data-drink="${drink}"]`);
}

/** Waits until the visitor page shows an order with a number; returns "#N". */
export async function waitForOrderNumber(page) {
  const number = page.locator(".status-card .order-number, .ready-number");
  await number.first().waitFor({ state: "visible" });
  return (await number.first().textContent()).trim();
}

/**
 * Records the body of every `POST /api/orders` that `page` sends from now on (also those
 * that never reach the server); returns the list, which grows as the page sends.
 */
export function recordOrderPosts(page) {
  const posts = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/api/orders")) posts.push(JSON.parse(r.postData()));
  });
  return posts;
}

/** Signs in on the bar page of `page`. */
export async function barSignIn(page, token = BAR_TOKEN) {
  await page.goto(`${APP_URL}/?bar`);
  await page.fill("#bar-token", token);
  await page.click(".signin button[type=submit]");
}

/** The API, as the bar, from Node (for arranging and checking). */
export async function barApi(method, path, body) {
  const response = await fetch(`${APP_URL}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${BAR_TOKEN}`,
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}

/** Places an order straight through the API (another visitor). */
export async function apiOrder(nickname, drink, visitorId = crypto.randomUUID()) {
  const response = await fetch(`${APP_URL}/api/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ visitor_id: visitorId, nickname, drink, request_id: crypto.randomUUID() }),
  });
  assert(response.status === 201 || response.status === 200, `POST /api/orders answered ${response.status}`);
  return response.json();
}

export async function waitUntil(what, check, { timeout = 15000, interval = 200 } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new AssertionError(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Decodes the poster's QR code (`svg.qr-code` on `page`) from a screenshot of it. */
export async function decodeQr(page) {
  const svg = page.locator("svg.qr-code");
  await svg.waitFor();
  const png = PNG.sync.read(await svg.screenshot());
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert(code, "a QR code was found in the poster");
  return code.data;
}

/** Fails on page errors or console errors recorded on any of `pages`. */
export function assertNoProblems(...pages) {
  const problems = pages.flatMap((p) => p.problems || []);
  assert(problems.length === 0, `browser reported problems:\n  ${problems.join("\n  ")}`);
}

/**
 * Runs one scenario: launches the browser, runs `body(browser)`, closes everything, and
 * exits 0 on success or 1 with the error (the Rust test prints the output).
 */
export async function scenario(name, body) {
  const started = Date.now();
  const timer = setTimeout(() => {
    console.error(`FAIL ${name}: scenario timed out after ${LIMIT_MS} ms`);
    process.exit(1);
  }, LIMIT_MS);
  let browser;
  try {
    log(`scenario ${name} against ${APP_URL}`);
    browser = await launch();
    await body(browser);
    log(`PASS ${name} (${Date.now() - started} ms)`);
    process.exitCode = 0;
  } catch (error) {
    console.error(`FAIL ${name}: ${error && error.stack ? error.stack : error}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    if (browser) await browser.close().catch(() => {});
  }
}
