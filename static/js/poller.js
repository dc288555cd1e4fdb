// The polite pollers. `Poller` is the one loop: one request every ~2 s (±10 %) while the page
// is visible, none while it is hidden (unless `whileHidden`: the bar keeps its queue current
// behind another tab or a dark screen; or, when a view asks for it with `setHiddenInterval`,
// one every so many seconds, as far as the browser lets timers of hidden pages run),
// backoff() after errors, an immediate poll on `online` and when the page is shown again.
//
// Two kinds of polls ride on it:
// - `FeedPoller`: the gapless event feed (the bar), the cursor kept across requests
//   (If-None-Match → 304, which costs no rendering at all);
// - `SnapshotPoller`: a bounded view whose ETag the database keeps (GET /api/board for the
//   counter screen and the poster, GET /api/visit for a guest's phone): an unchanged view is
//   a 304, nothing parsed or drawn; the ETag holds across replicas.

import { getFeed, ApiError } from "./api.js";
import { backoff } from "./backoff.js";

const INTERVAL_MS = 2000;
const PAGE_LIMIT = 100;

class Poller {
  /**
   * @param {object} o
   * @param {(state: "ok"|"error"|"offline", error?: ApiError) => void} [o.onState]
   * @param {number} [o.interval]  ms between polls while visible
   * @param {boolean} [o.whileHidden]  keep polling at full pace while the page is hidden
   */
  constructor({ onState = () => {}, interval = INTERVAL_MS, whileHidden = false } = {}) {
    this.onState = onState;
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

  /** One request; resolves to true when there is more to fetch right away. */
  async poll() {
    throw new Error("a poller polls something");
  }

  /** A failed poll: resolves to true when the poller put it right (the next poll may work). */
  async recover() {
    return false;
  }

  async tick() {
    this.timer = null;
    if (this.inFlight || !this.running || this.paused) return;
    this.inFlight = true;
    const interval = document.hidden && !this.whileHidden ? this.hiddenInterval : this.interval;
    let next = interval * (0.9 + Math.random() * 0.2);
    try {
      const more = await this.poll();
      this.failures = 0;
      this.setState("ok");
      if (more) next = 0;
    } catch (error) {
      if (!(await this.recover(error))) {
        this.failures += 1;
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

export class FeedPoller extends Poller {
  /**
   * @param {object} o  as `Poller`, and:
   * @param {string} o.cursor        feed cursor to start after
   * @param {(events: object[]) => void} o.onEvents   called only when there are events
   * @param {() => Promise<string>} [o.onReset]  the cursor was refused (400): return a new one
   */
  constructor({ cursor, onEvents, onReset = null, ...options }) {
    super(options);
    this.cursor = cursor;
    this.onEvents = onEvents;
    this.onReset = onReset;
  }

  async poll() {
    const page = await getFeed({ cursor: this.cursor, limit: PAGE_LIMIT });
    if (page.notModified) return false;
    this.cursor = page.next || this.cursor;
    if (page.events.length > 0) this.onEvents(page.events);
    // A full page means there is more: fetch it right away.
    return page.events.length >= PAGE_LIMIT;
  }

  async recover(error) {
    if (!(error instanceof ApiError && error.status === 400 && this.onReset)) return false;
    // The server no longer understands our cursor: start again from a fresh one.
    try {
      this.cursor = await this.onReset();
      this.failures = 0;
      return true;
    } catch {
      return false;
    }
  }
}

export class SnapshotPoller extends Poller {
  /**
   * @param {object} o  as `Poller`, and:
   * @param {(o: {etag: string|null}) => Promise<{notModified: boolean, view?: object, etag: string|null}>} o.fetch
   *   one request of the view, conditional on the ETag of the view the page has
   * @param {(view: object) => void} o.onView  called with each new view
   */
  constructor({ fetch, onView, ...options }) {
    super(options);
    this.fetch = fetch;
    this.onView = onView;
    this.etag = null;
  }

  async poll() {
    const answer = await this.fetch({ etag: this.etag });
    if (!answer.notModified) {
      this.onView(answer.view);
      this.etag = answer.etag; // only once the view is shown: else it comes again
    }
    return false;
  }
}
