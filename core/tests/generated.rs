//! Files generated from core's rules, held against core: `static/js/rules.js` is the one
//! place the pages read the order rules from. Regenerate after changing a rule with
//! `UPDATE_GENERATED=1 cargo test -p drinks-core --test generated`.

use std::path::PathBuf;

use drinks_core::OrderStatus;
use drinks_core::api::BATCH_MAX_CHANGES;
use drinks_core::domain::{CANCEL_REASON_MAX_CHARS, NICKNAME_MAX_CHARS, UNDO_WINDOW_MS};
use drinks_core::event::{BUSY_LIMIT_MAX, LINE_MAX_CHARS, READY_DIM_MINUTES_MAX, TITLE_MAX_CHARS};
use drinks_core::moderation::REFUSED_WORDS_MAX;
use drinks_core::picture::{ICONS, MAX_PICTURE_BYTES};

fn list(statuses: &[OrderStatus]) -> String {
    let names: Vec<String> = statuses
        .iter()
        .map(|s| format!("\"{}\"", s.as_str()))
        .collect();
    format!("[{}]", names.join(", "))
}

/// `["a", "b"]`.
fn quoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The pages' rules module, rendered from [`OrderStatus`], the nickname limit and the
/// event's limits.
fn rules_js() -> String {
    let next: Vec<String> = OrderStatus::ALL
        .iter()
        .filter_map(|s| {
            s.next()
                .map(|n| format!("\"{}\": \"{}\"", s.as_str(), n.as_str()))
        })
        .collect();
    let bar_may_cancel: Vec<OrderStatus> = OrderStatus::reachable_from(OrderStatus::Cancelled);
    format!(
        "// Generated from core/src/domain.rs and core/src/event.rs. Do not edit by hand: change the
// rules there, then run `UPDATE_GENERATED=1 cargo test -p drinks-core --test generated`.
// A test fails while this file and core disagree.

/** Every status, in the order an order goes through them. */
export const STATUSES = {all};
/** Statuses the bar still works on; a visitor has at most one order in one of them. */
export const OPEN = {open};
/** The bar's one-tap move from each open status. */
export const NEXT = {{ {next} }};
/** Statuses from which the bar may cancel an order. */
export const BAR_MAY_CANCEL = {cancel};
/** Statuses in which the visitor may still change or cancel their order. */
export const VISITOR_MAY_CHANGE = {visitor};
/** The longest nickname, in characters as people see them (grapheme clusters: Intl.Segmenter). */
export const NICKNAME_MAX_CHARS = {max};
/** The longest text of each kind the bar sets for the event, in characters. */
export const EVENT_TEXT_MAX_CHARS = {{ \"title\": {title}, \"welcome\": {line}, \"message\": {line} }};
/** The highest automatic-pause limit (orders waiting). */
export const BUSY_LIMIT_MAX = {busy};
/** The longest the counter screen leaves a ready order undimmed, in minutes. */
export const READY_DIM_MINUTES_MAX = {dim};
/** The most refused words an event may have (each at most NICKNAME_MAX_CHARS). */
export const REFUSED_WORDS_MAX = {words};
/** The drawn icons (static/img/drinks/<icon>.svg), in the order the bar's picker shows them. */
export const ICONS = {icons};
/** The largest picture the bar may upload, in bytes. */
export const MAX_PICTURE_BYTES = {picture};
/** The most orders one batch (PATCH /api/orders) moves. */
export const BATCH_MAX_CHANGES = {batch};
/** Statuses whose last change the bar may take back (POST /api/orders/{{id}}/undo), and for how long (ms). */
export const UNDOABLE = {undoable};
export const UNDO_WINDOW_MS = {undo_ms};
/** The longest reason the bar may give with a cancel, in characters. */
export const CANCEL_REASON_MAX_CHARS = {reason};
",
        all = list(&OrderStatus::ALL),
        open = list(&OrderStatus::OPEN),
        next = next.join(", "),
        cancel = list(&bar_may_cancel),
        visitor = list(&OrderStatus::VISITOR_MAY_CHANGE),
        max = NICKNAME_MAX_CHARS,
        title = TITLE_MAX_CHARS,
        line = LINE_MAX_CHARS,
        busy = BUSY_LIMIT_MAX,
        dim = READY_DIM_MINUTES_MAX,
        words = REFUSED_WORDS_MAX,
        picture = MAX_PICTURE_BYTES,
        icons = quoted(ICONS),
        batch = BATCH_MAX_CHANGES,
        undoable = list(&OrderStatus::BAR_UNDOABLE),
        undo_ms = UNDO_WINDOW_MS,
        reason = CANCEL_REASON_MAX_CHARS,
    )
}

/// Every icon core accepts is drawn, and every drawing is an icon the bar can pick.
#[test]
fn every_icon_has_its_drawing_and_every_drawing_is_an_icon() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/img/drinks");
    let mut drawn: Vec<String> = std::fs::read_dir(&dir)
        .expect("static/img/drinks")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".svg").map(str::to_owned)
        })
        .collect();
    drawn.sort();
    let mut icons: Vec<String> = ICONS.iter().map(|i| i.to_string()).collect();
    icons.sort();
    assert_eq!(
        icons, drawn,
        "core's picture::ICONS and static/img/drinks/*.svg"
    );
}

#[test]
fn the_pages_rules_module_is_generated_from_core() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/js/rules.js");
    let expected = rules_js();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &expected).expect("writing static/js/rules.js");
        return;
    }
    let actual = std::fs::read_to_string(&path).expect("static/js/rules.js");
    assert!(
        actual == expected,
        "static/js/rules.js is out of date with core's rules; run\n  \
         UPDATE_GENERATED=1 cargo test -p drinks-core --test generated\n\
         --- expected ---\n{expected}--- actual ---\n{actual}"
    );
}
