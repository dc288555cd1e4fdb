// Bar page, event: the event's title and welcome line per language, whether ordering is
// open, paused or closed (with a message for guests), and the automatic pause while the
// bar is busy; saved with PATCH /api/event. Guests' phones and the poster follow within one
// poll. While the form has unsaved edits, live updates leave it alone.

import * as api from "../api.js";
import { h, replace, toast } from "../dom.js";
import { t, LANGUAGES } from "../i18n.js";
import { EVENT_TEXT_MAX_CHARS, BUSY_LIMIT_MAX } from "../rules.js";

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

export function renderEvent(el, state) {
  const form = el.querySelector("form[data-action=event]");
  if (form && form.dataset.dirty !== undefined) {
    form.classList.toggle("saving", state.eventSaving);
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
      h("button", { type: "submit", class: "button" }, t("bar.event.save"))));
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
  return { body };
}

/** The event tab's events, delegated from the bar. `ctx`: `{store, signOut, pollNow}`. */
export function eventActions(ctx) {
  const { store } = ctx;
  return {
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
      store.dispatch("eventSaving", true);
      try {
        const event = await api.updateEvent(body);
        delete form.dataset.dirty;
        store.dispatch("event", event);
        toast(t("bar.event.saved"));
      } catch (failure) {
        if (failure.status === 401) return ctx.signOut(t("bar.signin.expired"));
        toast(t("bar.failed", { detail: failure.problem?.detail || failure.status }), { kind: "error" });
      } finally {
        store.dispatch("eventSaving", false);
        ctx.pollNow();
      }
    },
  };
}
