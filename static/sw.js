// The service worker of Drink Orders: a classic script at the fixed URL /sw.js (scope /),
// never fingerprinted. web/build.mjs writes its build data in place of the marker below:
// `version`, a hash of every served file, and `precache`, every served path (index.html as
// `/`). A build that changes any file is therefore a new service worker with a new cache.
//
// - install: precaches the whole site (the pages' shell, modules, texts, pictures) into
//   `drinks-shell-<version>`; activate removes every older `drinks-shell-*` cache.
// - fetch: pages (navigations) and locale/*.json go to the network first and fall back to
//   the cache after NETWORK_WAIT_MS or on failure, so a reload on bad Wi-Fi shows the page
//   (with the order this phone saved) instead of the browser's error page, while a reload
//   after a deploy still gets the new page; everything else is served from the cache, then
//   the network. The API (/api/…) is never touched: the pages see its real answers.
// - push: `{"kind":"ready","order":{…}}` from the server becomes a notification in the
//   visitor's language ("#42 Cappuccino is ready — collect it at the bar"); a tap focuses the
//   order page or opens it. The page tells this worker its language and drink names
//   (`{type:"prefs"}` message), kept in the `drinks-prefs` cache because a worker's memory
//   does not survive it being stopped.

const BUILD = self.__BUILD__;
const SHELL = `drinks-shell-${BUILD.version}`;
const SHELL_PREFIX = "drinks-shell-";
const PREFS_CACHE = "drinks-prefs";
/** The key of the saved preferences in PREFS_CACHE (a cache key only, never fetched). */
const PREFS_KEY = "/sw-prefs.json";
const NETWORK_WAIT_MS = 3500;
const LANGUAGES = ["en", "de", "fr", "it"];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // "no-cache": revalidated, so the cache holds this build's files, not older copies.
    await cache.addAll(BUILD.precache.map((path) => new Request(path, { cache: "no-cache" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(SHELL_PREFIX) && name !== SHELL)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, "/"));
  } else if (url.pathname.startsWith("/locale/")) {
    event.respondWith(networkFirst(request, url.pathname));
  } else {
    event.respondWith(cacheFirst(request));
  }
});

/** This build's copy of `key`, or undefined. */
async function cached(key) {
  const cache = await caches.open(SHELL);
  return cache.match(key, { ignoreSearch: true });
}

/**
 * The network's answer; after NETWORK_WAIT_MS (or at once when the network fails) the
 * cached `fallback` instead, if there is one. The cache is not updated from the network: it
 * holds exactly one build, whose page and modules belong together.
 */
function networkFirst(request, fallback) {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (response) => {
      if (!done && response) {
        done = true;
        resolve(response);
      }
      return Boolean(response);
    };
    const network = fetch(request);
    const timer = setTimeout(async () => finish(await cached(fallback)), NETWORK_WAIT_MS);
    network.then(
      (response) => {
        clearTimeout(timer);
        finish(response);
      },
      async (error) => {
        clearTimeout(timer);
        if (!finish(await cached(fallback)) && !done) reject(error);
      },
    );
  });
}

async function cacheFirst(request) {
  return (await cached(request)) || fetch(request);
}

// ---------------------------------------------------------------- preferences from the page

self.addEventListener("message", (event) => {
  const data = event.data;
  if (!data || data.type !== "prefs") return;
  const prefs = {
    lang: LANGUAGES.includes(data.lang) ? data.lang : "en",
    drinks: data.drinks && typeof data.drinks === "object" ? data.drinks : {},
  };
  event.waitUntil(caches.open(PREFS_CACHE).then((cache) =>
    cache.put(PREFS_KEY, new Response(JSON.stringify(prefs), { headers: { "Content-Type": "application/json" } }))));
});

async function prefs() {
  try {
    const response = await (await caches.open(PREFS_CACHE)).match(PREFS_KEY);
    if (response) return await response.json();
  } catch {
    /* none saved */
  }
  return { lang: "en", drinks: {} };
}

/** The texts of `lang` (this build's copy, else the network), English as the fallback. */
async function texts(lang) {
  for (const code of [lang, "en"]) {
    const path = `/locale/${code}.json`;
    try {
      const response = (await cached(path)) || (await fetch(path));
      if (response.ok) return await response.json();
    } catch {
      /* try the next */
    }
  }
  return {};
}

function fill(template, params) {
  return String(template || "").replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// ---------------------------------------------------------------- push

self.addEventListener("push", (event) => {
  event.waitUntil(showPush(event.data));
});

async function showPush(data) {
  let message = null;
  try {
    message = data ? data.json() : null;
  } catch {
    message = null;
  }
  const { lang, drinks } = await prefs();
  const t = await texts(lang);
  const order = message && typeof message.order === "object" && message.order ? message.order : null;
  // userVisibleOnly: every push must show a notification, a message we do not know too.
  let title = t["app.title"] || "Drink Orders";
  let options = { body: t["push.update"] || "", tag: "drink-orders", icon: "/img/icon-192.png" };
  if (message && message.kind === "ready" && order) {
    const drink = drinks[order.drink] || order.drink;
    title = fill(t["push.ready_title"], { number: order.number, drink });
    options = {
      body: fill(t["push.ready_body"], { number: order.number, drink }),
      tag: `order-${order.id}`,
      renotify: true,
      requireInteraction: true,
      icon: "/img/icon-192.png",
      badge: "/img/icon-192.png",
      vibrate: [300, 120, 300, 120, 500],
      data: { url: "/", order },
      lang,
    };
  }
  await self.registration.showNotification(title, options);
  // Open pages update at once instead of at their next poll.
  const windows = await self.clients.matchAll({ type: "window" });
  for (const client of windows) client.postMessage({ type: "push", kind: message?.kind ?? null, order });
}

/** A window of the visitor page (not ?bar, ?qr or ?board). */
function isVisitorPage(client) {
  const url = new URL(client.url);
  return url.origin === self.location.origin && url.pathname === "/" &&
    !["bar", "qr", "board"].some((view) => url.searchParams.has(view));
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const page = windows.find(isVisitorPage);
    if (page) return page.focus();
    return self.clients.openWindow(event.notification.data?.url || "/");
  })());
});
