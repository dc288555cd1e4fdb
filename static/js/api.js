// The one module that talks to the Drink Orders HTTP API (docs/API.md). Views never call
// fetch() themselves; they call these functions and get plain objects or an ApiError.

const TIMEOUT_MS = 10000;
let barToken = null;

/** An API answer that is not a success, or no answer at all (`network`). */
export class ApiError extends Error {
  constructor(message, { status = 0, problem = null, retryAfter = null, network = false } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
    this.network = network;
    /** Short problem type: "sold-out", "version-conflict", … ("" when none). */
    this.type = problem && typeof problem.type === "string"
      ? problem.type.replace(/^.*\/problems\//, "")
      : "";
  }

  /** Worth retrying the same request later: no answer, a 5xx, 408 or 429. */
  get transient() {
    return this.network || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** The bar token used for bar endpoints (kept by the bar page in sessionStorage). */
export function setBarToken(token) {
  barToken = token || null;
}

function retryAfterMs(response) {
  const value = response.headers.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

async function request(method, path, { body, raw, headers = {}, bar = false, accept = "application/json", signal, cache = "no-store" } = {}) {
  const init = { method, headers: { Accept: accept, ...headers }, cache, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  } else if (raw !== undefined) {
    init.body = raw; // a File or Blob: sent with its own type
  }
  if (bar) init.headers.Authorization = `Bearer ${barToken || ""}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  if (signal) signal.addEventListener("abort", () => controller.abort(), { once: true });
  init.signal = controller.signal;
  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    throw new ApiError(`network: ${cause && cause.message ? cause.message : cause}`, { network: true });
  } finally {
    clearTimeout(timer);
  }
  return response;
}

async function problemOf(response) {
  let problem = null;
  try {
    const text = await response.text();
    problem = text ? JSON.parse(text) : null;
  } catch {
    problem = null;
  }
  const detail = problem && problem.detail ? problem.detail : response.statusText;
  return new ApiError(`${response.status} ${detail}`, {
    status: response.status,
    problem,
    retryAfter: retryAfterMs(response),
  });
}

/** The JSON body of a successful answer. */
async function parsed(response) {
  try {
    return await response.json();
  } catch {
    throw new ApiError("invalid JSON in the answer", { status: response.status, network: true });
  }
}

async function json(method, path, options) {
  const response = await request(method, path, options);
  if (!response.ok) throw await problemOf(response);
  return parsed(response);
}

// ---- public ----

/**
 * GET /api/menu → {drinks: [{id, name, available, stock, sold_out}], event: EventSettings,
 * etag}: `etag` is the menu's version, as GET /api/visit names the current one.
 */
export async function getMenu() {
  // Revalidated with the menu's ETag: an unchanged menu costs a 304, no body.
  const response = await request("GET", "/api/menu", { cache: "no-cache" });
  if (!response.ok) throw await problemOf(response);
  // A proxy that compresses may weaken the ETag (W/"…"): the version is the tag itself.
  const etag = response.headers.get("etag")?.replace(/^W\//, "") ?? null;
  return { ...(await parsed(response)), etag };
}

/** POST /api/orders → {status: 200|201, order}; `key`: the ordering key of the poster's QR code */
export async function placeOrder({ visitorId, nickname, drink, requestId, key = null }) {
  const body = { visitor_id: visitorId, nickname, drink, request_id: requestId };
  if (key) body.key = key;
  const response = await request("POST", "/api/orders", { body });
  if (!response.ok) throw await problemOf(response);
  return { status: response.status, order: await response.json() };
}

/** DELETE /api/orders/{id} (the visitor's own) → Order */
export function cancelOrder(visitorId, id) {
  return json("DELETE", `/api/orders/${encodeURIComponent(id)}`, {
    headers: { "X-Visitor-Id": visitorId },
  });
}

/**
 * One feed request. `cursor` null → the current position; `tail` → the last N events.
 * Returns {notModified: true} on 304, else {events, next}.
 */
export async function getFeed({ cursor = null, tail = null, limit = null, signal } = {}) {
  const params = new URLSearchParams();
  const headers = {};
  if (tail) params.set("tail", String(tail));
  else if (cursor) {
    params.set("after", cursor);
    if (limit) params.set("limit", String(limit));
    headers["If-None-Match"] = `"${cursor}"`;
  }
  const query = params.toString();
  const response = await request("GET", `/api/feed${query ? `?${query}` : ""}`, { headers, signal });
  if (response.status === 304) return { notModified: true, events: [], next: cursor };
  if (!response.ok) throw await problemOf(response);
  const page = await response.json();
  return { notModified: false, events: page.events || [], next: page.next };
}

/**
 * One request of a snapshot view whose ETag the database keeps (GET /api/board,
 * GET /api/visit). `etag`: the one of the view the page has; returns {notModified: true,
 * etag} on 304, else {view, etag}.
 */
async function snapshot(path, { etag = null, headers = {}, signal } = {}) {
  const conditional = etag ? { ...headers, "If-None-Match": etag } : headers;
  const response = await request("GET", path, { headers: conditional, signal });
  if (response.status === 304) return { notModified: true, etag };
  if (!response.ok) throw await problemOf(response);
  return { notModified: false, view: await parsed(response), etag: response.headers.get("etag") };
}

/** GET /api/board: the counter screen's snapshot of the open orders (see `snapshot`). */
export function getBoard({ etag = null, signal } = {}) {
  return snapshot("/api/board", { etag, signal });
}

/**
 * GET /api/visit: what a guest's phone shows — their latest order, how many orders are
 * before it, the recent wait, the ticker, the menu's version (see `snapshot`). Without
 * `visitorId` (the poster) there is no order.
 */
export function getVisit({ visitorId = null, etag = null, signal } = {}) {
  const headers = visitorId ? { "X-Visitor-Id": visitorId } : {};
  return snapshot("/api/visit", { etag, headers, signal });
}

/** PUT /api/orders/{id}/name-hidden (bar): public screens show "Guest #42" → Order */
export function hideName(id) {
  return json("PUT", `/api/orders/${encodeURIComponent(id)}/name-hidden`, { bar: true });
}

/** DELETE /api/orders/{id}/name-hidden (bar): public screens show the nickname again → Order */
export function showName(id) {
  return json("DELETE", `/api/orders/${encodeURIComponent(id)}/name-hidden`, { bar: true });
}

/** GET /api/queue (bar) → {orders, next, feed} */
export function getQueue({ status = null, drink = null, after = null, limit = null, include = null, order = null, q = null } = {}) {
  const params = new URLSearchParams();
  if (status) params.set("status", status);
  if (order) params.set("order", order);
  if (q) params.set("q", q);
  if (include) params.set("include", include);
  if (drink) params.set("drink", drink);
  if (after) params.set("after", after);
  if (limit) params.set("limit", String(limit));
  const query = params.toString();
  return json("GET", `/api/queue${query ? `?${query}` : ""}`, { bar: true });
}

/** GET /api/queue?format=csv (bar) → Blob */
export async function getQueueCsv() {
  const response = await request("GET", "/api/queue?format=csv", { bar: true, accept: "text/csv" });
  if (!response.ok) throw await problemOf(response);
  return response.blob();
}

/**
 * PATCH /api/orders/{id} (bar) → Order; 409 version-conflict / illegal-transition carry `order`.
 * `reason`: the visitor sees it with a cancel (only sent when not empty).
 */
export function setOrderStatus(id, status, version, reason = null) {
  return json("PATCH", `/api/orders/${encodeURIComponent(id)}`, {
    bar: true,
    body: reason ? { status, version, reason } : { status, version },
  });
}

/**
 * PATCH /api/orders (bar) with [{id, status, version}, …] → {moved: [Order], conflicts:
 * [{id, type, detail, order}]}: each change checked as one PATCH /api/orders/{id} would be.
 */
export function setOrdersStatus(changes) {
  return json("PATCH", "/api/orders", { bar: true, body: { changes } });
}

/** POST /api/orders/{id}/undo (bar): takes back the order's last status change → Order */
export function undoOrderStatus(id, version) {
  return json("POST", `/api/orders/${encodeURIComponent(id)}/undo`, { bar: true, body: { version } });
}

/** DELETE /api/orders?before=<ms> (bar): deletes served and cancelled orders → {purged} */
export function purgeOrders(before) {
  return json("DELETE", `/api/orders?before=${encodeURIComponent(Math.floor(before))}`, { bar: true });
}

/** POST /api/drinks (bar) with {id, names, available?, stock?} → Drink (201) */
export function createDrink(drink) {
  return json("POST", "/api/drinks", { bar: true, body: drink });
}

/** PUT /api/drinks/{id}/picture (bar): a PNG, JPEG or WebP file (≤ 256 KiB) → Drink */
export function setDrinkPicture(id, file) {
  return json("PUT", `/api/drinks/${encodeURIComponent(id)}/picture`, {
    bar: true,
    raw: file,
    headers: { "Content-Type": file.type || "application/octet-stream" },
  });
}

/** DELETE /api/drinks/{id}/picture (bar): the drink shows its icon again → Drink */
export function clearDrinkPicture(id) {
  return json("DELETE", `/api/drinks/${encodeURIComponent(id)}/picture`, { bar: true });
}

/** PATCH /api/drinks/{id} (bar) with {available?, stock?, names?, position?, retired?, icon?} → Drink */
export function updateDrink(id, changes) {
  return json("PATCH", `/api/drinks/${encodeURIComponent(id)}`, { bar: true, body: changes });
}

/** PATCH /api/event (bar) with {title?, welcome?, ordering?, message?, busy_limit?, ready_dim_minutes?, refused_words?} → EventSettings */
export function updateEvent(changes) {
  return json("PATCH", "/api/event", { bar: true, body: changes });
}

/** GET /api/event/key (bar) → {order_key: string|null}: what the poster's QR code carries */
export function getEventKey() {
  return json("GET", "/api/event/key", { bar: true });
}

/** GET /api/event/words (bar) → {refused_words: [folded word…]} */
export function getEventWords() {
  return json("GET", "/api/event/words", { bar: true });
}

/** GET /api/stats (bar) */
export function getStats() {
  return json("GET", "/api/stats", { bar: true });
}

async function noContent(method, path, options) {
  const response = await request(method, path, options);
  if (!response.ok) throw await problemOf(response);
}

/** GET /api/push → {public_key} (base64url VAPID key); 503 push-not-configured, 404 on a server without push */
export function getPushKey() {
  return json("GET", "/api/push");
}

/** PUT /api/orders/{id}/push (the visitor's own) with `subscription.toJSON()` → 204 */
export function setOrderPush(visitorId, id, subscription) {
  return noContent("PUT", `/api/orders/${encodeURIComponent(id)}/push`, {
    headers: { "X-Visitor-Id": visitorId },
    body: {
      endpoint: subscription.endpoint,
      expirationTime: subscription.expirationTime ?? null,
      keys: { p256dh: subscription.keys?.p256dh, auth: subscription.keys?.auth },
    },
  });
}

/** DELETE /api/orders/{id}/push (the visitor's own): no notification for this order → 204 */
export function clearOrderPush(visitorId, id) {
  return noContent("DELETE", `/api/orders/${encodeURIComponent(id)}/push`, {
    headers: { "X-Visitor-Id": visitorId },
  });
}
