// localStorage / sessionStorage that never throws (private modes, full quota, disabled
// storage): values are JSON, and a failure only means "not remembered".

function wrap(area) {
  const store = () => {
    try {
      return window[area];
    } catch {
      return null;
    }
  };
  return {
    get(key, fallback = null) {
      try {
        const raw = store()?.getItem(key);
        return raw === null || raw === undefined ? fallback : JSON.parse(raw);
      } catch {
        return fallback;
      }
    },
    set(key, value) {
      try {
        store()?.setItem(key, JSON.stringify(value));
      } catch {
        /* not remembered */
      }
    },
    remove(key) {
      try {
        store()?.removeItem(key);
      } catch {
        /* nothing to do */
      }
    },
    getRaw(key) {
      try {
        return store()?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    setRaw(key, value) {
      try {
        store()?.setItem(key, value);
      } catch {
        /* not remembered */
      }
    },
  };
}

export const local = wrap("localStorage");
export const session = wrap("sessionStorage");

/** A random UUID v4; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuid() {
  if (typeof crypto.randomUUID === "function" && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
