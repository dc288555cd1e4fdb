// What the visitor page asks of the browser beyond the page itself: the service worker
// (/sw.js: offline shell, push notifications), Web Push subscriptions, the screen wake lock
// and the "ready" sound. Nothing here talks to the API (js/api.js does) or touches the DOM.

/** The service worker's registration, or null where there is none (no support, plain HTTP). */
let registration = null;

/** Registers /sw.js (scope /); resolves to the registration, or null when unsupported. */
export async function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return null;
  try {
    registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch (error) {
    console.warn("service worker not registered:", error);
    registration = null;
  }
  return registration;
}

/** Tells the service worker the page's language and drink names (for push notifications). */
export async function sendWorkerPrefs(prefs) {
  if (!registration) return;
  const worker = (await navigator.serviceWorker.ready).active;
  worker?.postMessage({ type: "prefs", ...prefs });
}

/** Calls `listener(message)` for messages from the service worker (e.g. `{type: "push"}`). */
export function onWorkerMessage(listener) {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (event) => listener(event.data || {}));
  }
}

const isIos = () => /iP(hone|ad|od)/.test(navigator.userAgent) ||
  (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
const standalone = () => window.matchMedia?.("(display-mode: standalone)").matches || navigator.standalone === true;

/**
 * Whether Web Push can be asked for here: "supported"; "install" on iOS outside an installed
 * web app (iOS delivers push only to apps added to the home screen); "denied" when the
 * visitor blocked notifications; "unsupported" otherwise (old browser, plain HTTP, some
 * private modes).
 */
export function pushSupport() {
  const capable = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window && window.isSecureContext;
  if (isIos() && !standalone()) return "install";
  if (!capable) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  return "supported";
}

/** Notification permission was granted before (so subscribing needs no new question). */
export function notificationsGranted() {
  return "Notification" in window && Notification.permission === "granted";
}

/** Asks for the Notification permission (call it from a tap); resolves "granted", "denied" or "default". */
export async function askNotificationPermission() {
  return Notification.requestPermission();
}

function base64UrlBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options?.applicationServerKey;
  if (!current) return false;
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((byte, i) => byte === key[i]);
}

/**
 * This browser's push subscription for the server's VAPID `publicKey` (base64url); an
 * existing one for another key is replaced. Resolves to `subscription.toJSON()`.
 */
export async function pushSubscription(publicKey) {
  const worker = await navigator.serviceWorker.ready;
  const key = base64UrlBytes(publicKey);
  let subscription = await worker.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  return subscription.toJSON();
}

// ---------------------------------------------------------------- screen wake lock

/**
 * Keeps the screen on while `wanted` (Screen Wake Lock API). The browser drops the lock when
 * the page is hidden; it is taken again when the page is visible. `onChange(state)` gets
 * "on", "off" or "unsupported".
 */
export class ScreenAwake {
  constructor(onChange) {
    this.onChange = onChange;
    this.wanted = false;
    this.sentinel = null;
    this.state = "wakeLock" in navigator ? "off" : "unsupported";
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.sync();
    });
  }

  set(wanted) {
    this.wanted = wanted;
    this.sync();
  }

  report(state) {
    if (this.state === state) return;
    this.state = state;
    this.onChange(state);
  }

  async sync() {
    if (this.state === "unsupported") return;
    if (this.wanted && !this.sentinel && !document.hidden) {
      try {
        const sentinel = await navigator.wakeLock.request("screen");
        if (!this.wanted) {
          await sentinel.release();
          return;
        }
        this.sentinel = sentinel;
        sentinel.addEventListener("release", () => {
          if (this.sentinel === sentinel) this.sentinel = null;
          this.report("off");
        });
        this.report("on");
      } catch {
        this.report("off"); // refused (battery saver, no permission): the page says so
      }
    } else if (!this.wanted && this.sentinel) {
      const sentinel = this.sentinel;
      this.sentinel = null;
      await sentinel.release().catch(() => {});
      this.report("off");
    }
  }
}

// ---------------------------------------------------------------- sound

let audio = null;

/** Prepares the "ready" sound; browsers allow audio only after a tap, so call it from one. */
export function unlockSound() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return false;
  try {
    audio ??= new Context();
    if (audio.state === "suspended") audio.resume();
  } catch {
    audio = null;
  }
  return Boolean(audio);
}

/** The sound is ready to play (a tap unlocked it). */
export function soundReady() {
  return Boolean(audio) && audio.state !== "closed";
}

/** Three short rising beeps. */
export function playReadySound() {
  if (!soundReady()) return;
  const start = audio.currentTime + 0.05;
  [660, 880, 1100].forEach((frequency, i) => {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + i * 0.25);
    gain.gain.exponentialRampToValueAtTime(0.3, start + i * 0.25 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.25 + 0.2);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start + i * 0.25);
    oscillator.stop(start + i * 0.25 + 0.22);
  });
}
