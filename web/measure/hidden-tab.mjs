// Measures how often the bar page polls the feed while its tab is hidden, in a real
// (headful) Chromium with its normal background throttling: Playwright's launch disables
// that throttling (--disable-background-timer-throttling and friends) and headless pages are
// never hidden, so this drives Chromium over the DevTools protocol itself. docs/BAR.md has
// the results.
//
//   xvfb-run -a node --experimental-websocket web/measure/hidden-tab.mjs
//
// Environment: APP_URL (default http://127.0.0.1:3000), BAR_TOKEN (required), VISIBLE_S
// (default 20), HIDDEN_S (default 420: past Chromium's 5-minute mark for intensive
// throttling), CHROMIUM (default /usr/bin/chromium).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const APP_URL = (process.env.APP_URL || "http://127.0.0.1:3000").replace(/\/$/, "");
const BAR_TOKEN = process.env.BAR_TOKEN;
const VISIBLE_S = Number(process.env.VISIBLE_S || 20);
const HIDDEN_S = Number(process.env.HIDDEN_S || 420);
if (!BAR_TOKEN) throw new Error("BAR_TOKEN is required");
if (typeof WebSocket !== "function") throw new Error("run with node --experimental-websocket (Node 20) or Node 22+");

const profile = mkdtempSync(join(tmpdir(), "hidden-tab-"));
const chromium = spawn(process.env.CHROMIUM || "/usr/bin/chromium", [
  "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
  `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank",
], { stdio: ["ignore", "ignore", "pipe"] });
const endpoint = await new Promise((resolve, reject) => {
  let text = "";
  chromium.stderr.on("data", (chunk) => {
    text += chunk;
    const match = text.match(/DevTools listening on (ws:\/\/\S+)/);
    if (match) resolve(match[1]);
  });
  chromium.on("exit", (code) => reject(new Error(`chromium exited (${code}): ${text}`)));
});

const ws = new WebSocket(endpoint);
await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
let nextId = 1;
const pending = new Map();
const listeners = [];
ws.addEventListener("message", (message) => {
  const data = JSON.parse(message.data);
  if (data.id && pending.has(data.id)) {
    const { resolve, reject } = pending.get(data.id);
    pending.delete(data.id);
    if (data.error) reject(new Error(JSON.stringify(data.error)));
    else resolve(data.result);
  } else if (data.method) {
    for (const listener of listeners) listener(data);
  }
});
const send = (method, params = {}, sessionId = undefined) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params, sessionId }));
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { targetId } = await send("Target.createTarget", { url: `${APP_URL}/?bar` });
const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
const evaluate = async (expression) =>
  (await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }, sessionId)).result.value;
await sleep(2000);
await evaluate(`sessionStorage.setItem("bar_token", ${JSON.stringify(BAR_TOKEN)}); location.reload(); true`);
await sleep(3000);
await send("Network.enable", {}, sessionId);
const polls = [];
let phase = "visible";
listeners.push((event) => {
  if (event.sessionId === sessionId && event.method === "Network.requestWillBeSent" && event.params.request.url.includes("/api/feed")) {
    polls.push({ at: event.params.timestamp * 1000, phase });
  }
});
const signedIn = await evaluate(`!!document.querySelector(".order-row, .queue-empty")`);
if (!signedIn) throw new Error("the bar did not open (token?)");

console.log(`visible for ${VISIBLE_S} s: ${await evaluate("document.visibilityState")}`);
await sleep(VISIBLE_S * 1000);
phase = "hidden";
await send("Target.createTarget", { url: "about:blank", newWindow: false, background: false });
await sleep(500);
const state = await evaluate("document.visibilityState");
console.log(`another tab in front: the bar tab is ${state}`);
if (state !== "hidden") throw new Error("could not hide the bar tab");
const hiddenFrom = polls.length ? polls[polls.length - 1].at : 0;
await sleep(HIDDEN_S * 1000);

const summary = (list, from) => {
  const gaps = list.slice(1).map((p, i) => p.at - list[i].at).sort((a, b) => a - b);
  const pick = (q) => (gaps.length ? Math.round(gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))]) : null);
  return { polls: list.length, median_ms: pick(0.5), p90_ms: pick(0.9), max_ms: gaps.length ? Math.round(gaps[gaps.length - 1]) : null, from };
};
const visible = polls.filter((p) => p.phase === "visible");
const hidden = polls.filter((p) => p.phase === "hidden");
console.log("visible:", JSON.stringify(summary(visible)));
console.log("hidden, whole time:", JSON.stringify(summary(hidden)));
const start = hidden.length ? hidden[0].at : hiddenFrom;
for (let minute = 0; minute * 60 < HIDDEN_S; minute += 1) {
  const slice = hidden.filter((p) => p.at >= start + minute * 60000 && p.at < start + (minute + 1) * 60000);
  console.log(`hidden minute ${minute + 1}:`, JSON.stringify(summary(slice)));
}
ws.close();
chromium.kill();
rmSync(profile, { recursive: true, force: true });
