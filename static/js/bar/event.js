// Bar page, event: the event's title and welcome line per language, whether ordering is
// open, paused or closed (with a message for guests), and the automatic pause while the
// bar is busy; saved with PATCH /api/event. Guests' phones and the poster follow within one
// poll. While the form has unsaved edits, live updates leave it alone. The ordering key
// (required, new, none) is changed at once by its own buttons. The counter screen's dimming
// time and the refused words (nicknames containing one are refused; GET /api/event/words,
// bar only) are saved with the rest.

import * as api from "../api.js";
import { h, replace, toast } from "../dom.js";
import { t, LANGUAGES } from "../i18n.js";
import { EVENT_TEXT_MAX_CHARS, BUSY_LIMIT_MAX, NICKNAME_MAX_CHARS, READY_DIM_MINUTES_MAX, REFUSED_WORDS_MAX } from "../rules.js";

const STATES = ["open", "paused", "closed"];
const TEXTS = ["title", "welcome", "message"];

function textFields(name, label, value, hint = null) {
  return h("fieldset", { class: "event-texts", dataset: { texts: name } },
    h("legend", {}, label),
    hint ? h("p", { class: "muted" }, hint) : null,
    ...LANGUAGES.map(({ code, name: languageName }) => {
      const id = `event-${name}-${code}`;
      return h("div", { class: "event-text" },
        h("label", { for: id }, languageName),
        h("input", {
          type: "text",
          id,
          lang: code,
          maxlength: EVENT_TEXT_MAX_CHARS[name],
          value: value?.[code] ?? "",
          dataset: { language: code },
        }));
    }));
}

/** The state chip beside the tab: "Ordering paused" while not open. */
export function orderingLabel(event) {
  return event ? t(`bar.event.state_${event.ordering}`) : "";
}

/** Whether guests need the poster's code, and the buttons that change it. */
function keySection(event, saving) {
  const required = event.key_required;
  const button = (change, label, secondary = false) => h("button", {
    type: "button",
    class: `button ${secondary ? "button-secondary" : ""}`,
    dataset: { action: "event-key", change },
    disabled: saving,
  }, t(label));
  return h("section", { class: "event-key", "aria-labelledby": "event-key-title" },
    h("h2", { id: "event-key-title" }, t("bar.event.key")),
    h("p", { class: "event-key-state" }, t(required ? "bar.event.key_on" : "bar.event.key_off")),
    h("p", { class: "muted" }, t("bar.event.key_hint")),
    h("div", { class: "event-key-actions" },
      required
        ? [button("new", "bar.event.key_rotate"), button("none", "bar.event.key_stop", true)]
        : [button("new", "bar.event.key_require")]));
}

export function renderEvent(el, state) {
  const form = el.querySelector("form[data-action=event]");
  if (form && form.dataset.dirty !== undefined) {
    form.classList.toggle("saving", state.eventSaving);
    if (state.event) el.querySelector(".event-key")?.replaceWith(keySection(state.event, state.eventSaving));
    return; // the bartender is editing: keep what they typed
  }
  const { event } = state;
  if (!event) {
    replace(el, h("p", { class: "loading" }, t("loading")));
    return;
  }
  replace(el,
    h("h1", {}, t("bar.event.title")),
    h("p", { class: "muted" }, t("bar.event.hint")),
    h("form", { class: `event-form ${state.eventSaving ? "saving" : ""}`, dataset: { action: "event" }, novalidate: true },
      h("fieldset", { class: "event-ordering" },
        h("legend", {}, t("bar.event.ordering")),
        h("div", { class: "segmented" }, STATES.map((value) => {
          const id = `event-ordering-${value}`;
          return h("span", { class: "segment" },
            h("input", { type: "radio", name: "ordering", id, value, checked: event.ordering === value }),
            h("label", { for: id }, t(`bar.event.${value}`)));
        }))),
      textFields("message", t("bar.event.message"), event.message, t("bar.event.message_hint")),
      textFields("title", t("bar.event.event_title"), event.title, t("bar.event.texts_hint")),
      textFields("welcome", t("bar.event.welcome"), event.welcome),
      h("div", { class: "event-busy" },
        h("label", { for: "event-busy-limit" }, t("bar.event.busy")),
        h("input", {
          type: "number",
          id: "event-busy-limit",
          min: 1,
          max: BUSY_LIMIT_MAX,
          step: 1,
          inputmode: "numeric",
          value: event.busy_limit ?? "",
          "aria-describedby": "event-busy-hint",
        }),
        h("p", { id: "event-busy-hint", class: "muted" }, t("bar.event.busy_hint"))),
      h("div", { class: "event-dim" },
        h("label", { for: "event-dim-minutes" }, t("bar.event.dim")),
        h("input", {
          type: "number",
          id: "event-dim-minutes",
          min: 1,
          max: READY_DIM_MINUTES_MAX,
          step: 1,
          inputmode: "numeric",
          value: event.ready_dim_minutes ?? 5,
          "aria-describedby": "event-dim-hint",
        }),
        h("p", { id: "event-dim-hint", class: "muted" }, t("bar.event.dim_hint"))),
      h("div", { class: "event-words" },
        h("label", { for: "event-refused-words" }, t("bar.event.words")),
        h("textarea", {
          id: "event-refused-words",
          rows: 4,
          spellcheck: "false",
          disabled: state.words === null,
          dataset: state.words === null ? {} : { loaded: "" },
          "aria-describedby": "event-words-hint",
        }, state.words === null ? "" : state.words.join("\n")),
        h("p", { id: "event-words-hint", class: "muted" }, t("bar.event.words_hint"))),
      h("button", { type: "submit", class: "button" }, t("bar.event.save"))),
    keySection(event, state.eventSaving));
}

/** What the form says, as a PATCH /api/event body; or `{error}` with the field to fix. */
function readForm(form) {
  const body = { ordering: form.querySelector("input[name=ordering]:checked")?.value ?? "open" };
  for (const name of TEXTS) {
    const texts = {};
    for (const input of form.querySelectorAll(`[data-texts=${name}] input`)) {
      texts[input.dataset.language] = input.value.trim();
    }
    if (!texts.en && Object.values(texts).some(Boolean)) {
      return { error: "bar.event.english_needed", field: form.querySelector(`#event-${name}-en`) };
    }
    body[name] = texts;
  }
  const busy = form.querySelector("#event-busy-limit");
  const raw = busy.value.trim();
  const limit = raw === "" ? null : Number(raw);
  if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > BUSY_LIMIT_MAX)) {
    return { error: "bar.event.invalid_busy", field: busy };
  }
  body.busy_limit = limit;
  const dim = form.querySelector("#event-dim-minutes");
  const minutes = Number(dim.value.trim());
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > READY_DIM_MINUTES_MAX) {
    return { error: "bar.event.invalid_dim", field: dim };
  }
  body.ready_dim_minutes = minutes;
  const words = form.querySelector("#event-refused-words");
  if (words.dataset.loaded !== undefined) {
    const list = words.value.split(/[\n,]/).map((w) => w.trim()).filter(Boolean);
    if (list.length > REFUSED_WORDS_MAX || list.some((w) => [...w].length > NICKNAME_MAX_CHARS)) {
      return { error: "bar.event.invalid_words", field: words };
    }
    body.refused_words = list;
  }
  return { body };
}

/** The event tab's events, delegated from the bar. `ctx`: `{store, signOut, pollNow}`. */
export function eventActions(ctx) {
  const { store } = ctx;

  async function save(body, done) {
    store.dispatch("eventSaving", true);
    try {
      const event = await api.updateEvent(body);
      done?.();
      store.dispatch("event", event);
      return event;
    } catch (failure) {
      if (failure.status === 401) ctx.signOut(t("bar.signin.expired"));
      else toast(t("bar.failed", { detail: failure.problem?.detail || failure.status }), { kind: "error" });
      return null;
    } finally {
      store.dispatch("eventSaving", false);
      ctx.pollNow();
    }
  }

  /** The refused words (bar only), as the server folded them. */
  async function loadWords() {
    try {
      const { refused_words: words } = await api.getEventWords();
      store.dispatch("words", words);
    } catch (failure) {
      if (failure.status === 401) ctx.signOut(t("bar.signin.expired"));
    }
  }

  return {
    loadWords,
    /** A key button: `new` (require a fresh key) or `none`. */
    async key(change) {
      if (await save({ order_key: change })) toast(t("bar.event.key_saved"));
    },
    /** Anything typed or picked in the form: it is being edited (kept across renders). */
    typing(target) {
      const form = target.closest?.("form[data-action=event]");
      if (form) form.dataset.dirty = "";
    },
    async submit(form) {
      const { body, error, field } = readForm(form);
      for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
      if (error) {
        field.setAttribute("aria-invalid", "true");
        field.focus();
        toast(t(error), { kind: "error" });
        return;
      }
      if (await save(body, () => delete form.dataset.dirty)) {
        toast(t("bar.event.saved"));
        if (body.refused_words) loadWords();
      }
    },
  };
}
