// The one retry rule of every loop that waits after a failure (the pollers, the visitor's
// pending order): exponential backoff with "equal jitter", capped, and never sooner than
// the server's Retry-After.

const MAX_MS = 30000;

/**
 * How long to wait before the next attempt after `failures` failures in a row:
 * uniformly between half and all of min(max, base × 2^failures), and at least `retryAfter`.
 */
export function backoff(failures, { base = 1000, max = MAX_MS, retryAfter = null } = {}) {
  const ceiling = Math.min(max, base * 2 ** Math.min(failures, 16));
  const delay = ceiling / 2 + Math.random() * (ceiling / 2);
  return retryAfter ? Math.max(delay, retryAfter) : delay;
}

/**
 * Waits `ms`, or less: the wait ends early when the browser comes back online or `signal`
 * aborts (e.g. the user did something that is worth sending at once).
 */
export function sleep(ms, { signal = null } = {}) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      window.removeEventListener("online", done);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    window.addEventListener("online", done);
    signal?.addEventListener("abort", done);
    if (signal?.aborted) done();
  });
}
