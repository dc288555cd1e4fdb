// The counter screen's poll of GET /api/board, shared by the board (?board) and the
// poster's "Ready" strip: one request every ~2 s (±10 %) while the page is visible, the
// board's ETag in If-None-Match (an unchanged board is a 304: nothing parsed or drawn),
// backoff() after errors, an immediate poll on `online`. The ETag comes from the database
// (the settled feed position), so it holds across replicas.

import { getBoard, ApiError } from "./api.js";
import { backoff } from "./backoff.js";

const INTERVAL_MS = 2000;

export class BoardPoller {
  /**
   * @param {object} o
   * @param {(board: object) => void} o.onBoard  called with each new board
   * @param {(state: "ok"|"error"|"offline") => void} [o.onState]
   */
  constructor({ onBoard, onState = () => {}, interval = INTERVAL_MS }) {
    this.onBoard = onBoard;
    this.onState = onState;
    this.interval = interval;
    this.etag = null;
    this.failures = 0;
    this.timer = null;
    this.inFlight = false;
    this.running = false;
    this.state = "ok";
    this.onVisibility = () => {
      if (document.hidden) this.clear();
      else this.schedule(0);
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

  clear() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  schedule(delay) {
    this.clear();
    if (!this.running || document.hidden) return;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  async tick() {
    this.timer = null;
    if (this.inFlight || !this.running || document.hidden) return;
    this.inFlight = true;
    let next = this.interval * (0.9 + Math.random() * 0.2);
    try {
      const answer = await getBoard({ etag: this.etag });
      this.failures = 0;
      this.setState("ok");
      if (!answer.notModified) {
        this.etag = answer.etag;
        this.onBoard(answer.board);
      }
    } catch (error) {
      this.failures += 1;
      this.setState(navigator.onLine === false ? "offline" : "error");
      next = backoff(this.failures, {
        base: this.interval,
        retryAfter: error instanceof ApiError ? error.retryAfter : null,
      });
    } finally {
      this.inFlight = false;
    }
    this.schedule(next);
  }
}
