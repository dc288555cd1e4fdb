// The poster (?qr): a large QR code of the visitor page, the event title and the live ticker.
// The URL is the page's own origin, or `?url=` (http/https only); `?title=` sets the title.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { t, onLanguageChange } from "./i18n.js";
import { FeedPoller } from "./poller.js";
import { Ticker } from "./ticker.js";
import { qrSvg } from "./qr.js";

function visitorUrl() {
  const override = new URLSearchParams(location.search).get("url");
  if (override) {
    try {
      const url = new URL(override, location.origin);
      if (url.protocol === "https:" || url.protocol === "http:") return url.href;
    } catch {
      /* fall back to our own origin */
    }
  }
  return `${location.origin}/`;
}

function shortUrl(href) {
  const url = new URL(href);
  return `${url.host}${url.pathname === "/" ? "" : url.pathname}${url.search}`;
}

export async function start(main) {
  document.body.classList.add("page-poster");
  const url = visitorUrl();
  const customTitle = new URLSearchParams(location.search).get("title");
  let menu = [];
  const ticker = new Ticker({ max: 8, menu: () => menu });
  const title = h("h1", { class: "poster-title" });
  const lead = h("p", { class: "poster-lead" });
  const steps = h("ol", { class: "poster-steps" });
  const tickerTitle = h("h2", { id: "poster-ticker-title" });
  const qrBox = h("div", { class: "qr-box" });
  const render = () => {
    title.textContent = customTitle || t("poster.title");
    lead.textContent = t("poster.lead");
    replace(steps, ["poster.step1", "poster.step2", "poster.step3"].map((key) => h("li", {}, t(key))));
    tickerTitle.textContent = t("ticker.title");
    replace(qrBox,
      qrSvg(url, { label: t("poster.qr_label", { url }) }),
      h("p", { class: "qr-url" }, shortUrl(url)));
    ticker.renderAll();
  };
  replace(main,
    h("div", { class: "poster" },
      h("section", { class: "poster-qr", "aria-labelledby": "poster-title-id" },
        h("div", { class: "poster-head" }, title, lead),
        qrBox,
        steps),
      h("aside", { class: "poster-ticker", "aria-labelledby": "poster-ticker-title" }, tickerTitle, ticker.el)));
  title.id = "poster-title-id";
  render();
  onLanguageChange(render);

  api.getMenu().then((m) => {
    menu = m.drinks;
    ticker.renderAll();
  }).catch(() => {});

  let cursor = null;
  for (let attempt = 0; cursor === null; attempt += 1) {
    try {
      const page = await api.getFeed({ tail: 50 });
      ticker.apply(page.events, { quiet: true });
      cursor = page.next;
    } catch {
      await new Promise((r) => setTimeout(r, Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2)));
    }
  }
  new FeedPoller({
    cursor,
    onEvents: (events) => ticker.apply(events),
    onReset: async () => (await api.getFeed()).next,
  }).start();
}
