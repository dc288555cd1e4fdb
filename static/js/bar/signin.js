// Bar page, sign-in: the token form (once per tab, or once per tablet with "remember this
// tablet") and what a failed attempt says.

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";

/** Why the token did not open the bar, for the person at the bar. */
export function signInMessage(error) {
  if (error.status === 401) return t("bar.signin.wrong");
  if (error.type === "bar-token-not-configured") return t("bar.signin.not_configured");
  if (error.transient) return t("bar.signin.offline");
  return t("bar.signin.failed");
}

/**
 * Shows the sign-in form in `main`. `open(token, remember)` tries the token and resolves to
 * null when the bar opened, else to the message to show.
 */
export function renderSignIn(main, { message = "", open }) {
  document.body.classList.add("page-bar");
  const input = h("input", {
    id: "bar-token",
    name: "bar-token",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "aria-describedby": "bar-token-error",
  });
  const error = h("p", { id: "bar-token-error", class: "field-error", role: "alert" }, message || "");
  const remember = h("input", { id: "bar-remember", type: "checkbox", "aria-describedby": "bar-remember-hint" });
  const button = h("button", { type: "submit", class: "button" }, t("bar.signin.submit"));
  const refuse = (text) => {
    error.textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  };
  const form = h("form", { class: "signin card" },
    h("h1", {}, t("bar.signin.title")),
    h("p", { class: "field-hint" }, t("bar.signin.text")),
    // Lets password managers file the token under a name; never shown.
    h("input", { type: "text", name: "username", autocomplete: "username", value: "bar", hidden: true, "aria-hidden": "true", tabindex: "-1" }),
    h("label", { for: "bar-token", class: "field-label" }, t("bar.signin.label")),
    input,
    error,
    h("div", { class: "check-field" },
      remember,
      h("label", { for: "bar-remember" }, t("bar.signin.remember"))),
    h("p", { id: "bar-remember-hint", class: "field-hint" }, t("bar.signin.remember_hint")),
    h("div", { class: "signin-actions" }, button));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return refuse(t("bar.signin.empty"));
    button.disabled = true;
    error.textContent = "";
    const result = await open(token, remember.checked);
    button.disabled = false;
    if (result) {
      input.select();
      refuse(result);
    }
  });
  replace(main, form);
  document.getElementById("topbar-tools").replaceChildren();
  input.focus();
}
