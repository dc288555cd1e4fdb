// Bar page, toolbar: the connection state, the sound switch (a Web Audio beep for new
// orders, on by default; it plays once staff touched the page), the CSV export and sign-out.

import * as api from "../api.js";
import { h, toast } from "../dom.js";
import { t } from "../i18n.js";

let audio = null;

export function renderToolbar(els, state) {
  els.soundButton.textContent = !state.sound ? t("bar.sound_off") : state.audioReady ? t("bar.sound_on") : t("bar.sound_waiting");
  els.soundButton.setAttribute("aria-pressed", String(state.sound));
  els.csvButton.textContent = t("bar.csv");
  els.signOutButton.textContent = t("bar.signout");
  els.net.className = `bar-net bar-net-${state.net}`;
  els.net.textContent = state.net === "ok" ? t("bar.live") : state.net === "offline" ? t("bar.offline") : t("bar.reconnecting");
}

/** Downloads GET /api/queue?format=csv (it needs the token, so through a blob URL). */
export async function exportCsv(button, ctx) {
  button.disabled = true;
  try {
    const blob = await api.getQueueCsv();
    const url = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
    const link = h("a", { href: url, download: `orders-${stamp}.csv`, class: "visually-hidden" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    if (error.status === 401) return ctx.signOut(t("bar.signin.expired"));
    toast(t("bar.csv_failed"), { kind: "error" });
  } finally {
    button.disabled = false;
  }
}

/**
 * Called on a tap or key press: makes (or resumes) the audio context, which browsers allow
 * only then. True when sound can play from now on.
 */
export function unlockAudio() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return true;
  } catch {
    return false; /* no audio here */
  }
}

export function beep() {
  try {
    audio = audio || new AudioContext();
    const now = audio.currentTime;
    for (const [offset, freq] of [[0, 880], [0.18, 1320]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, now + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.18);
    }
  } catch {
    /* no audio here */
  }
}
