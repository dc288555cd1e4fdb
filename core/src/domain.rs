//! Domain values: every one is validated when it is made, so holding one means it is valid.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest nickname, in extended grapheme clusters: what people see as one character (an
/// emoji with a skin tone or a family joined with ZWJ is one), counted like the pages'
/// `Intl.Segmenter` (`unicode-segmentation`).
pub const NICKNAME_MAX_CHARS: usize = 32;
/// Longest nickname in Unicode scalar values (what PostgreSQL's `char_length` counts and the
/// database checks): eight per character on average, room for every emoji sequence, no room
/// for clusters piled up with combining marks.
pub const NICKNAME_MAX_SCALARS: usize = 8 * NICKNAME_MAX_CHARS;

/// Longest reason the bar gives with a cancel (shown on the visitor's page), in Unicode
/// scalar values.
pub const CANCEL_REASON_MAX_CHARS: usize = 120;

/// How long after a status change the bar may take it back (see
/// [`OrderStatus::BAR_UNDOABLE`]), in milliseconds.
pub const UNDO_WINDOW_MS: i64 = 60_000;

/// Why a value was refused. The HTTP layer adds which field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters, got {got}")]
    TooLong { max: usize, got: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("must be a UUID")]
    NotAUuid,
    #[error("must be lower-case letters, digits, '-' or '_' (at most 32)")]
    BadDrinkId,
    #[error("must be a positive integer")]
    NotAPositiveInteger,
    #[error("unknown status {0:?}")]
    UnknownStatus(String),
    #[error("must be an integer from {min} to {max}")]
    OutOfRange { min: i64, max: i64 },
    #[error("needs an English version (the fallback for the other languages)")]
    EnglishMissing,
    #[error("unknown language {0:?}")]
    UnknownLanguage(String),
    #[error("must be 1 to 64 letters, digits, '-' or '_'")]
    BadOrderKey,
    #[error("unknown icon {0:?}")]
    UnknownIcon(String),
    #[error("must be a picture id (64 lower-case hex digits)")]
    NotAPictureId,
    #[error("must have at most {max} entries")]
    TooMany { max: usize },
}

/// Deserializes a validated domain value from a JSON string through its `parse`: a value
/// that does not parse is refused with the reason, at its field.
macro_rules! deserialize_by_parse {
    ($($name:ident),*) => {$(
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

deserialize_by_parse!(
    Nickname,
    CancelReason,
    VisitorId,
    RequestId,
    DrinkId,
    OrderStatus
);

/// A visitor's display name, shown to everyone at the bar and in the ticker.
///
/// Trimmed (Unicode white space), 1 to 32 characters as people see them (grapheme clusters,
/// [`nickname_length`]) and at most 256 Unicode scalar values, no control characters.
/// Bidirectional formatting controls and line/paragraph separators count as control
/// characters: they could reorder or break the text around the name when it is shown.
/// Right-to-left scripts and emoji (including ZWJ sequences) are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Nickname(String);

impl Nickname {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = shown_text(raw, NICKNAME_MAX_SCALARS)?;
        if text.is_empty() {
            return Err(InvalidValue::Empty);
        }
        let count = nickname_length(&text);
        if count > NICKNAME_MAX_CHARS {
            return Err(InvalidValue::TooLong {
                max: NICKNAME_MAX_CHARS,
                got: count,
            });
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nickname as refused words are matched (`moderation::fold`): `$9` of
    /// `PLACE_ORDER`.
    pub fn folded(&self) -> String {
        crate::moderation::fold(&self.0)
    }
}

/// A nickname's length as people see it: extended grapheme clusters.
pub fn nickname_length(text: &str) -> usize {
    unicode_segmentation::UnicodeSegmentation::graphemes(text, true).count()
}

/// Why the bar cancelled an order, shown on the visitor's page: trimmed, 1 to
/// [`CANCEL_REASON_MAX_CHARS`] Unicode scalar values, no control characters (as a
/// nickname).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelReason(String);

impl CancelReason {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = shown_text(raw, CANCEL_REASON_MAX_CHARS)?;
        if text.is_empty() {
            return Err(InvalidValue::Empty);
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A text that everyone sees (a nickname, the event's title, a message): trimmed (Unicode
/// white space), at most `max` Unicode scalar values, no control characters. May be empty.
pub fn shown_text(raw: &str, max: usize) -> Result<String, InvalidValue> {
    let trimmed = raw.trim();
    if trimmed.chars().any(is_forbidden_in_shown_text) {
        return Err(InvalidValue::ControlCharacter);
    }
    let count = trimmed.chars().count();
    if count > max {
        return Err(InvalidValue::TooLong { max, got: count });
    }
    Ok(trimmed.to_owned())
}

fn is_forbidden_in_shown_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' // LRM, RLM
                | '\u{061C}' // Arabic letter mark
                | '\u{202A}'..='\u{202E}' // embeddings and overrides
                | '\u{2066}'..='\u{2069}' // isolates
                | '\u{2028}' | '\u{2029}' // line and paragraph separator
        )
}

macro_rules! uuid_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// Accepts the usual textual forms of a UUID; the nil UUID is refused.
            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                match Uuid::try_parse(raw.trim()) {
                    Ok(id) if !id.is_nil() => Ok(Self(id)),
                    _ => Err(InvalidValue::NotAUuid),
                }
            }

            /// Lower-case hyphenated form, as PostgreSQL prints it.
            pub fn to_hyphenated(&self) -> String {
                self.0.hyphenated().to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_newtype!(
    /// The visitor's random id, kept in the browser. It is the visitor's only credential:
    /// it is never shown to anybody else.
    VisitorId
);
uuid_newtype!(
    /// Idempotency key of one visitor action: retrying with the same key never writes twice.
    RequestId
);

/// A drink's stable id, e.g. `espresso`, `fruit-juice`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DrinkId(String);

impl DrinkId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let bytes = raw.as_bytes();
        let first_ok = bytes
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_');
        if first_ok && rest_ok && bytes.len() <= 32 {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::BadDrinkId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An order's id (a positive `bigint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrderId(i64);

impl OrderId {
    /// Only plain ASCII digits: no sign, no spaces, no leading `+`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::NotAPositiveInteger);
        }
        match raw.parse::<i64>() {
            Ok(n) if n > 0 => Ok(Self(n)),
            _ => Err(InvalidValue::NotAPositiveInteger),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Placed,
    Preparing,
    Ready,
    Served,
    Cancelled,
}

impl OrderStatus {
    /// Every status, in the order an order goes through them.
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Placed,
        OrderStatus::Preparing,
        OrderStatus::Ready,
        OrderStatus::Served,
        OrderStatus::Cancelled,
    ];
    /// The statuses of an order the bar still has to work on (and that blocks a new one).
    /// The partial unique index `orders_one_open_per_visitor` repeats this list; a test
    /// holds the two together.
    pub const OPEN: [OrderStatus; 3] = [
        OrderStatus::Placed,
        OrderStatus::Preparing,
        OrderStatus::Ready,
    ];
    /// The orders the bar still has to make, counted against the automatic pause
    /// ("pause new orders while more than N are waiting").
    pub const WAITING: [OrderStatus; 2] = [OrderStatus::Placed, OrderStatus::Preparing];
    /// The statuses in which the visitor may still change or cancel their order.
    pub const VISITOR_MAY_CHANGE: [OrderStatus; 1] = [OrderStatus::Placed];
    /// Every move the bar may make, `(from, to)`: `placed → preparing → ready → served`,
    /// and any open order may be cancelled. `served` and `cancelled` are final.
    pub const BAR_MOVES: [(OrderStatus, OrderStatus); 6] = [
        (OrderStatus::Placed, OrderStatus::Preparing),
        (OrderStatus::Preparing, OrderStatus::Ready),
        (OrderStatus::Ready, OrderStatus::Served),
        (OrderStatus::Placed, OrderStatus::Cancelled),
        (OrderStatus::Preparing, OrderStatus::Cancelled),
        (OrderStatus::Ready, OrderStatus::Cancelled),
    ];

    /// The statuses whose last change the bar may take back within [`UNDO_WINDOW_MS`]
    /// (`POST /api/orders/{id}/undo`): served → ready, ready → preparing, and a cancel by the
    /// bar → the status it came from, if a portion can be taken again. Migration 0007's
    /// `undo_order_status` holds the rest of the rule (back to where it came from, once).
    pub const BAR_UNDOABLE: [OrderStatus; 3] = [
        OrderStatus::Served,
        OrderStatus::Ready,
        OrderStatus::Cancelled,
    ];

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| InvalidValue::UnknownStatus(raw.to_owned()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Preparing => "preparing",
            OrderStatus::Ready => "ready",
            OrderStatus::Served => "served",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// The bar's one-tap move onwards (not a cancel); `None` for a closed order.
    pub fn next(self) -> Option<OrderStatus> {
        Self::BAR_MOVES
            .into_iter()
            .find(|(from, to)| *from == self && *to != OrderStatus::Cancelled)
            .map(|(_, to)| to)
    }

    /// The statuses from which the bar may move an order to `to` (empty for `placed`).
    pub fn reachable_from(to: OrderStatus) -> Vec<OrderStatus> {
        Self::BAR_MOVES
            .into_iter()
            .filter(|(_, t)| *t == to)
            .map(|(from, _)| from)
            .collect()
    }

    /// A list of statuses as the SQL functions take it: comma-separated names.
    pub fn sql_list(statuses: &[OrderStatus]) -> String {
        statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar_may_move(from: OrderStatus, to: OrderStatus) -> bool {
        OrderStatus::BAR_MOVES.contains(&(from, to))
    }

    #[test]
    fn nickname_is_trimmed() {
        assert_eq!(Nickname::parse("  Ana \t\n").unwrap().as_str(), "Ana");
    }

    #[test]
    fn nickname_of_32_characters_is_accepted() {
        let name = "a".repeat(32);
        assert_eq!(Nickname::parse(&name).unwrap().as_str(), name);
    }

    #[test]
    fn nickname_of_33_characters_is_rejected() {
        assert_eq!(
            Nickname::parse(&"a".repeat(33)),
            Err(InvalidValue::TooLong { max: 32, got: 33 })
        );
    }

    #[test]
    fn nickname_length_counts_characters_not_bytes() {
        // 32 × 'é' is 64 bytes but 32 characters.
        assert!(Nickname::parse(&"é".repeat(32)).is_ok());
        // 32 emoji of 4 bytes each.
        assert!(Nickname::parse(&"🍹".repeat(32)).is_ok());
        assert!(Nickname::parse(&"🍹".repeat(33)).is_err());
    }

    #[test]
    fn nickname_with_emoji_zwj_sequences_counts_what_people_see() {
        // Family emoji: 5 scalar values (3 people joined by 2 ZWJ), one character to the eye.
        let family = "👨\u{200D}👩\u{200D}👧";
        assert_eq!(family.chars().count(), 5);
        assert_eq!(nickname_length(family), 1);
        assert!(Nickname::parse(&format!("{}{}", "a".repeat(31), family)).is_ok());
        assert!(Nickname::parse(&format!("{}{}", "a".repeat(32), family)).is_err());
        // 32 families of four (7 scalar values each) are 32 characters: accepted.
        let four = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        assert!(Nickname::parse(&four.repeat(32)).is_ok());
        assert_eq!(
            Nickname::parse(&four.repeat(33)),
            Err(InvalidValue::TooLong { max: 32, got: 33 })
        );
        // A skin tone and a flag are one character each.
        assert_eq!(nickname_length("👍🏽🇨🇭"), 2);
    }

    #[test]
    fn nickname_piled_up_with_combining_marks_is_refused() {
        // One character to the eye, 257 scalar values: over what the database takes.
        let pile = format!("a{}", "\u{0301}".repeat(256));
        assert_eq!(nickname_length(&pile), 1);
        assert_eq!(
            Nickname::parse(&pile),
            Err(InvalidValue::TooLong {
                max: NICKNAME_MAX_SCALARS,
                got: 257
            })
        );
        assert!(Nickname::parse(&format!("a{}", "\u{0301}".repeat(255))).is_ok());
    }

    #[test]
    fn nickname_in_right_to_left_script_is_accepted() {
        assert_eq!(Nickname::parse(" שלום ").unwrap().as_str(), "שלום");
        assert!(Nickname::parse("مرحبا").is_ok());
    }

    #[test]
    fn nickname_empty_after_trim_is_rejected() {
        assert_eq!(Nickname::parse(""), Err(InvalidValue::Empty));
        assert_eq!(Nickname::parse("   "), Err(InvalidValue::Empty));
        assert_eq!(
            Nickname::parse("\u{3000}\u{00A0}"),
            Err(InvalidValue::Empty)
        );
    }

    #[test]
    fn nickname_with_control_characters_is_rejected() {
        for bad in ["a\u{0}b", "a\nb", "a\u{7}", "a\u{1B}[31m", "x\u{85}y"] {
            assert_eq!(
                Nickname::parse(bad),
                Err(InvalidValue::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn nickname_with_bidi_override_is_rejected() {
        assert_eq!(
            Nickname::parse("abc\u{202E}fed"),
            Err(InvalidValue::ControlCharacter)
        );
        assert_eq!(
            Nickname::parse("\u{2067}x\u{2069}"),
            Err(InvalidValue::ControlCharacter)
        );
    }

    #[test]
    fn nickname_with_markup_is_kept_verbatim() {
        // Escaping is the renderer's job (textContent); the value itself is not altered.
        assert_eq!(
            Nickname::parse("<b>Ana</b>").unwrap().as_str(),
            "<b>Ana</b>"
        );
    }

    #[test]
    fn visitor_id_accepts_uuid_and_prints_it_hyphenated_lower_case() {
        let id = VisitorId::parse("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11").unwrap();
        assert_eq!(id.to_hyphenated(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    }

    #[test]
    fn malformed_or_nil_uuids_are_rejected() {
        for bad in [
            "",
            "not-a-uuid",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11x",
            "00000000-0000-0000-0000-000000000000",
        ] {
            assert_eq!(VisitorId::parse(bad), Err(InvalidValue::NotAUuid), "{bad}");
            assert_eq!(RequestId::parse(bad), Err(InvalidValue::NotAUuid), "{bad}");
        }
    }

    #[test]
    fn drink_id_accepts_menu_ids() {
        for ok in ["espresso", "fruit-juice", "tea", "a", "x_1"] {
            assert!(DrinkId::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn drink_id_with_odd_characters_is_rejected() {
        for bad in ["", "Espresso", "-tea", "tea ", "t%20", "é", &"a".repeat(33)] {
            assert_eq!(DrinkId::parse(bad), Err(InvalidValue::BadDrinkId), "{bad}");
        }
    }

    #[test]
    fn order_id_is_a_positive_integer_in_plain_digits() {
        assert_eq!(OrderId::parse("42").unwrap().get(), 42);
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            " 1",
            "1.0",
            "abc",
            "99999999999999999999",
        ] {
            assert_eq!(
                OrderId::parse(bad),
                Err(InvalidValue::NotAPositiveInteger),
                "{bad}"
            );
        }
    }

    #[test]
    fn status_round_trips_through_its_name() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Ok(s));
        }
    }

    #[test]
    fn unknown_status_is_rejected() {
        assert_eq!(
            OrderStatus::parse("delivered"),
            Err(InvalidValue::UnknownStatus("delivered".into()))
        );
        assert!(OrderStatus::parse("Placed").is_err());
    }

    #[test]
    fn status_moves_forward_one_step_at_a_time() {
        use OrderStatus::*;
        assert!(bar_may_move(Placed, Preparing));
        assert!(bar_may_move(Preparing, Ready));
        assert!(bar_may_move(Ready, Served));
        assert!(!bar_may_move(Placed, Ready));
        assert!(!bar_may_move(Placed, Served));
        assert!(!bar_may_move(Preparing, Served));
    }

    #[test]
    fn any_open_order_can_be_cancelled_but_closed_ones_cannot() {
        use OrderStatus::*;
        for open in OrderStatus::OPEN {
            assert!(bar_may_move(open, Cancelled));
        }
        for to in OrderStatus::ALL {
            assert!(!bar_may_move(Served, to));
            assert!(!bar_may_move(Cancelled, to));
        }
    }

    #[test]
    fn status_never_moves_backwards_or_stays() {
        use OrderStatus::*;
        assert!(!bar_may_move(Ready, Preparing));
        assert!(!bar_may_move(Preparing, Placed));
        for s in OrderStatus::ALL {
            assert!(!bar_may_move(s, s));
        }
    }

    #[test]
    fn exactly_six_transitions_are_allowed() {
        let allowed = OrderStatus::ALL
            .iter()
            .flat_map(|a| OrderStatus::ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| bar_may_move(*a, *b))
            .count();
        assert_eq!(allowed, 6);
    }

    #[test]
    fn reachable_from_lists_exactly_the_legal_origins() {
        use OrderStatus::*;
        assert_eq!(OrderStatus::reachable_from(Placed), vec![]);
        assert_eq!(OrderStatus::reachable_from(Preparing), vec![Placed]);
        assert_eq!(OrderStatus::reachable_from(Ready), vec![Preparing]);
        assert_eq!(OrderStatus::reachable_from(Served), vec![Ready]);
        assert_eq!(
            OrderStatus::reachable_from(Cancelled),
            vec![Placed, Preparing, Ready]
        );
        for to in OrderStatus::ALL {
            for from in OrderStatus::ALL {
                assert_eq!(
                    OrderStatus::reachable_from(to).contains(&from),
                    bar_may_move(from, to),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn only_placed_orders_may_be_changed_by_the_visitor() {
        assert_eq!(OrderStatus::VISITOR_MAY_CHANGE, [OrderStatus::Placed]);
    }

    #[test]
    fn the_one_tap_move_goes_forward_and_closed_orders_have_none() {
        use OrderStatus::*;
        assert_eq!(Placed.next(), Some(Preparing));
        assert_eq!(Preparing.next(), Some(Ready));
        assert_eq!(Ready.next(), Some(Served));
        assert_eq!(Served.next(), None);
        assert_eq!(Cancelled.next(), None);
    }
}
