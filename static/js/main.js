// Entry point: loads the translations, puts the language switch in the header and starts the
// view the query asks for: `?bar` the bar queue, `?qr` the poster, `?board` the counter
// screen, otherwise the visitor page.

import { initI18n, languageSwitch, onLanguageChange, t } from "./i18n.js";
import { h, replace } from "./dom.js";

async function main() {
  const main = document.getElementById("main");
  try {
    await initI18n();
  } catch (error) {
    replace(main, h("p", { class: "notice notice-error" }, "The page could not load its texts. Please reload."));
    throw error;
  }
  document.getElementById("lang-switch").replaceChildren(languageSwitch());
  const params = new URLSearchParams(location.search);
  let view;
  if (params.has("bar")) view = await import("./bar.js");
  else if (params.has("qr")) view = await import("./poster.js");
  else if (params.has("board")) view = await import("./board.js");
  else view = await import("./visitor.js");
  // The tab's title in the page's language (the visitor page sets its own: "ready").
  const title = params.has("bar") ? "title.bar" : params.has("qr") ? "title.poster" : null;
  if (title) {
    document.title = t(title);
    onLanguageChange(() => (document.title = t(title)));
  }
  try {
    await view.start(main);
  } catch (error) {
    console.error(error);
    replace(main, h("p", { class: "notice notice-error", role: "alert" }, t("error.fatal")));
  }
}

main();
