// Bar page, statistics: GET /api/stats every 20 s while the tab is open and the page visible,
// drawn by charts.js.

import * as api from "../api.js";
import { renderStats } from "../charts.js";
import { t } from "../i18n.js";
import { menuName } from "./queue.js";

const STATS_EVERY_MS = 20000;

export function renderStatsPanel(el, state, { refresh }) {
  renderStats(el, state.stats, {
    error: state.statsError,
    drinkLabel: (id) => menuName(state, id),
    refresh,
  });
}

/** Loads the statistics while the stats tab is open. `ctx`: `{store, signOut}`. */
export function statsLoader(ctx) {
  let timer = null;

  async function load() {
    try {
      ctx.store.dispatch("stats", await api.getStats());
    } catch (error) {
      if (error.status === 401) return ctx.signOut(t("bar.signin.expired"));
      ctx.store.dispatch("statsFailed");
    }
  }

  return {
    load,
    /** Follows the open tab: loads now and every 20 s on the stats tab, stops elsewhere. */
    follow(tab) {
      clearInterval(timer);
      timer = null;
      if (tab !== "stats") return;
      load();
      timer = setInterval(() => {
        if (!document.hidden) load();
      }, STATS_EVERY_MS);
    },
    stop() {
      clearInterval(timer);
      timer = null;
    },
  };
}
