// The polite feed poller: one request every ~2 s while the page is visible, none while it is
// hidden (unless `whileHidden`: the bar keeps its queue current behind another tab or a dark
// screen; or, when a view asks for it with `setHiddenInterval`, one every so many seconds, as
// far as the browser lets timers of hidden pages run), exponential backoff with jitter after
// errors, the cursor kept across requests (If-None-Match → 304, which costs no rendering at
// all).

import { getFeed, ApiError } from "./api.js";
import { backoff } from "./backoff.js";

const INTERVAL_MS = 2000;
const PAGE_LIMIT = 100;

export class FeedPoller {
  /**
   * @param {object} o
   * @param {string} o.cursor        feed cursor to start after
   * @param {(events: object[]) => void} o.onEvents   called only when there are events
   * @param {(state: "ok"|"error"|"offline", error?: ApiError) => void} [o.onState]
   * @param {() => Promise<string>} [o.onReset]  the cursor was refused (400): return a new one
   * @param {boolean} [o.whileHidden]  keep polling while the page is hidden (the bar)
   */
  constructor({ cursor, onEvents, onState = () => {}, onReset = null, interval = INTERVAL_MS, whileHidden = false }) {
    this.cursor = cursor;
    this.onEvents = onEvents;
    this.onState = onState;
    this.onReset = onReset;
    this.interval = interval;
    this.failures = 0;
    this.timer = null;
    this.inFlight = false;
    this.running = false;
    this.state = "ok";
    this.whileHidden = whileHidden;
    this.hiddenInterval = null;
    this.onVisibility = () => {
      if (!document.hidden) this.schedule(0);
      else if (this.paused) this.clear();
      else if (!this.whileHidden) this.schedule(this.hiddenInterval);
    };
    this.onOnline = () => this.schedule(0);
  }

  start() {
    if (this.running) return;
    this.running = true;
    document.addEventListener("visibilitychange", this.onVisibility);
    window.addEventListener("online", this.onOnline);
    this.schedule(0);
  }

  stop() {
    this.running = false;
    this.clear();
    document.removeEventListener("visibilitychange", this.onVisibility);
    window.removeEventListener("online", this.onOnline);
  }

  /** `ms`: keep polling this often while the page is hidden; null: not at all (the default). */
  setHiddenInterval(ms) {
    if (this.hiddenInterval === ms) return;
    this.hiddenInterval = ms;
    if (document.hidden) this.onVisibility();
  }

  get pollsWhileHidden() {
    return this.whileHidden || this.hiddenInterval !== null;
  }

  /** Poll as soon as possible (e.g. right after one's own action). */
  now() {
    this.schedule(0);
  }

  clear() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Whether the page may not poll now (hidden, and neither `whileHidden` nor a hidden interval). */
  get paused() {
    return document.hidden && !this.whileHidden && this.hiddenInterval === null;
  }

  schedule(delay) {
    this.clear();
    if (!this.running || this.paused) return;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  setState(state, error) {
    if (state === this.state && state === "ok") return;
    this.state = state;
    this.onState(state, error);
  }

  async tick() {
    this.timer = null;
    if (this.inFlight || !this.running || this.paused) return;
    this.inFlight = true;
    const interval = document.hidden && !this.whileHidden ? this.hiddenInterval : this.interval;
    let next = interval * (0.9 + Math.random() * 0.2);
    try {
      const page = await getFeed({ cursor: this.cursor, limit: PAGE_LIMIT });
      this.failures = 0;
      this.setState("ok");
      if (!page.notModified) {
        this.cursor = page.next || this.cursor;
        if (page.events.length > 0) this.onEvents(page.events);
        // A full page means there is more: fetch it right away.
        if (page.events.length >= PAGE_LIMIT) next = 0;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && this.onReset) {
        // The server no longer understands our cursor: start again from a fresh one.
        try {
          this.cursor = await this.onReset();
          this.failures = 0;
        } catch {
          this.failures += 1;
        }
      } else {
        this.failures += 1;
      }
      if (this.failures > 0) {
        this.setState(navigator.onLine === false ? "offline" : "error", error);
        next = backoff(this.failures, {
          base: this.interval,
          retryAfter: error instanceof ApiError ? error.retryAfter : null,
        });
      }
    } finally {
      this.inFlight = false;
    }
    this.schedule(next);
  }
}
