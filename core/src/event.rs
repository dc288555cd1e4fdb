//! The event's settings, set from the bar and shown to everyone: its title and welcome line
//! per language, whether ordering is open, paused or closed (with a message), and the
//! automatic pause while the bar is busy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::{Bounded, from_json, present, to_json};
use crate::domain::{InvalidValue, shown_text};
use crate::moderation::RefusedWords;
use crate::problem::{ApiError, RequestError};

/// The languages of the pages; a text set by the bar may have one version in each. English
/// is the fallback, so a text with any version must have an English one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    De,
    Fr,
    It,
}

impl Language {
    pub const ALL: [Language; 4] = [Language::En, Language::De, Language::Fr, Language::It];

    pub fn parse(code: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == code)
            .ok_or_else(|| InvalidValue::UnknownLanguage(code.to_owned()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Fr => "fr",
            Language::It => "it",
        }
    }
}

/// Longest event title, in characters.
pub const TITLE_MAX_CHARS: usize = 80;
/// Longest welcome line or ordering message, in characters.
pub const LINE_MAX_CHARS: usize = 200;

/// A text in several languages: `{"en": "...", "de": "..."}`. As input, each version is a
/// shown text of at most `MAX` characters; an empty one is dropped; any version needs an
/// English one. `{}` is no text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Texts(pub BTreeMap<Language, String>);

impl Texts {
    /// Versions already checked as shown texts: the empty ones dropped, English required.
    fn parse(raw: BTreeMap<Language, String>) -> Result<Self, InvalidValue> {
        let texts: BTreeMap<Language, String> =
            raw.into_iter().filter(|(_, t)| !t.is_empty()).collect();
        if !texts.is_empty() && !texts.contains_key(&Language::En) {
            return Err(InvalidValue::EnglishMissing);
        }
        Ok(Self(texts))
    }

    /// The English version, or "".
    pub fn english(&self) -> &str {
        self.0.get(&Language::En).map_or("", String::as_str)
    }
}

/// [`Texts`] as a request field, with its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextsInput<const MAX: usize>(pub Texts);

impl<'de, const MAX: usize> Deserialize<'de> for TextsInput<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // String keys: a problem about one version names it (`title.de`).
        let raw = BTreeMap::<String, ShownText<MAX>>::deserialize(d)?;
        let mut texts = BTreeMap::new();
        for (code, text) in raw {
            let language = Language::parse(&code).map_err(serde::de::Error::custom)?;
            texts.insert(language, text.0);
        }
        Texts::parse(texts)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

/// One version of a text, checked where it stands (so a problem names `title.de`): at
/// most `MAX` characters as sent (the contract's `maxLength`), then a shown text.
struct ShownText<const MAX: usize>(String);

impl<'de, const MAX: usize> Deserialize<'de> for ShownText<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let sent = raw.chars().count();
        if sent > MAX {
            let too_long = InvalidValue::TooLong {
                max: MAX,
                got: sent,
            };
            return Err(serde::de::Error::custom(too_long));
        }
        shown_text(&raw, MAX)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

/// Whether guests may order now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ordering {
    Open,
    /// For a while ("back in 10 minutes").
    Paused,
    /// Not (yet, or any more) tonight ("the bar opens at 18:00").
    Closed,
}

impl Ordering {
    pub fn as_str(self) -> &'static str {
        match self {
            Ordering::Open => "open",
            Ordering::Paused => "paused",
            Ordering::Closed => "closed",
        }
    }
}

/// The event's ordering key: what the poster's QR code carries (`/?k=…`) and an order must
/// bring while the bar requires one. Made by the database (`new`), 16 lower-case hex
/// digits; as input, what a page got from a QR code: 1 to 64 letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct OrderKey(String);

impl OrderKey {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::BadOrderKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for OrderKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        OrderKey::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// What the bar does with the ordering key: require a new one (the old one stops working),
/// or require none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyChange {
    New,
    None,
}

/// `GET /api/event/key` (bar): the key the poster shows, null when none is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventKey {
    pub order_key: Option<String>,
}

/// The most orders the automatic pause can be set to wait for.
pub const BUSY_LIMIT_MAX: i64 = 10_000;
/// The longest a ready order stays undimmed on the counter screen, in minutes.
pub const READY_DIM_MINUTES_MAX: i64 = 120;

/// The event as everyone sees it (`event` of `GET /api/menu`, `PATCH /api/event`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    pub title: Texts,
    pub welcome: Texts,
    pub ordering: Ordering,
    /// Shown while ordering is paused or closed.
    pub message: Texts,
    /// New orders are refused while more than this many are waiting; null = never.
    pub busy_limit: Option<i32>,
    /// Orders need the ordering key of the poster's QR code (the key itself is bar-only).
    pub key_required: bool,
    /// The counter screen dims a ready order not collected after this many minutes.
    pub ready_dim_minutes: i32,
    /// Increments with every change.
    pub version: i32,
    /// Epoch milliseconds.
    pub updated_at: i64,
}

/// `PATCH /api/event` body (bar): any of the settings; absent = keep. `busy_limit: null`
/// switches the automatic pause off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventChange {
    pub title: Option<Texts>,
    pub welcome: Option<Texts>,
    pub ordering: Option<Ordering>,
    pub message: Option<Texts>,
    pub busy_limit: Option<Option<i32>>,
    pub order_key: Option<KeyChange>,
    pub ready_dim_minutes: Option<i32>,
    /// Replaces the refused words (`[]`: none).
    pub refused_words: Option<RefusedWords>,
}

/// Unknown fields are ignored, as in every body.
#[derive(Deserialize)]
struct EventChangeBody {
    #[serde(default, deserialize_with = "present")]
    title: Option<TextsInput<TITLE_MAX_CHARS>>,
    #[serde(default, deserialize_with = "present")]
    welcome: Option<TextsInput<LINE_MAX_CHARS>>,
    #[serde(default, deserialize_with = "present")]
    ordering: Option<Ordering>,
    #[serde(default, deserialize_with = "present")]
    message: Option<TextsInput<LINE_MAX_CHARS>>,
    #[serde(default, deserialize_with = "present")]
    busy_limit: Option<Option<Bounded<1, BUSY_LIMIT_MAX>>>,
    #[serde(default, deserialize_with = "present")]
    order_key: Option<KeyChange>,
    #[serde(default, deserialize_with = "present")]
    ready_dim_minutes: Option<Bounded<1, READY_DIM_MINUTES_MAX>>,
    #[serde(default, deserialize_with = "present")]
    refused_words: Option<RefusedWords>,
}

impl EventChange {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let b: EventChangeBody = from_json(body)?;
        let change = Self {
            title: b.title.map(|t| t.0),
            welcome: b.welcome.map(|t| t.0),
            ordering: b.ordering,
            message: b.message.map(|t| t.0),
            busy_limit: b.busy_limit.map(|l| l.map(|n| n.0)),
            order_key: b.order_key,
            ready_dim_minutes: b.ready_dim_minutes.map(|m| m.0),
            refused_words: b.refused_words,
        };
        if change == Self::nothing() {
            return Err(RequestError::NothingToChange.into());
        }
        Ok(change)
    }

    fn nothing() -> Self {
        Self {
            title: None,
            welcome: None,
            ordering: None,
            message: None,
            busy_limit: None,
            order_key: None,
            ready_dim_minutes: None,
            refused_words: None,
        }
    }

    /// `$1`, `$2`, `$4` of `UPDATE_EVENT`: a text as a JSON object, or null to keep it.
    pub fn texts_param(texts: &Option<Texts>) -> Result<Option<String>, ApiError> {
        texts
            .as_ref()
            .map(|t| to_json(t).map(|json| String::from_utf8_lossy(&json).into_owned()))
            .transpose()
    }

    /// `$3` of `UPDATE_EVENT`: the new ordering state, or null to keep it.
    pub fn ordering_param(&self) -> Option<String> {
        self.ordering.map(|o| o.as_str().to_owned())
    }

    /// `$5` of `UPDATE_EVENT`: whether the busy limit is set at all.
    pub fn sets_busy_limit_param(&self) -> bool {
        self.busy_limit.is_some()
    }

    /// `$6` of `UPDATE_EVENT`: the new busy limit (null = off, or not set).
    pub fn busy_limit_param(&self) -> Option<i32> {
        self.busy_limit.flatten()
    }

    /// `$8` of `UPDATE_EVENT`: the dimming time in minutes, or null to keep it.
    pub fn ready_dim_minutes_param(&self) -> Option<i32> {
        self.ready_dim_minutes
    }

    /// `$9` of `UPDATE_EVENT`: the refused words as a JSON array, or null to keep them.
    pub fn refused_words_param(&self) -> Result<Option<String>, ApiError> {
        self.refused_words
            .as_ref()
            .map(RefusedWords::param)
            .transpose()
    }

    /// `$7` of `UPDATE_EVENT`: `new`, `none`, or null to keep the key.
    pub fn order_key_param(&self) -> Option<String> {
        self.order_key.map(|k| {
            match k {
                KeyChange::New => "new",
                KeyChange::None => "none",
            }
            .to_owned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(json: &str) -> Result<EventChange, ApiError> {
        EventChange::from_json(json.as_bytes())
    }

    #[test]
    fn a_title_in_english_and_german_is_taken_trimmed() {
        let c = change(r#"{"title": {"en": " Summer party ", "de": "Sommerfest"}}"#).unwrap();
        let title = c.title.unwrap();
        assert_eq!(title.english(), "Summer party");
        assert_eq!(title.0[&Language::De], "Sommerfest");
        assert_eq!(c.ordering, None);
    }

    #[test]
    fn empty_versions_are_dropped_and_an_empty_object_clears_the_text() {
        let c = change(r#"{"welcome": {"en": "", "de": "  "}}"#).unwrap();
        assert_eq!(c.welcome, Some(Texts::default()));
    }

    #[test]
    fn a_text_without_english_is_refused_at_its_field() {
        let e = change(r#"{"message": {"de": "Gleich zurück"}}"#).unwrap_err();
        let p = e.problem();
        assert_eq!((p.status, p.field.as_deref()), (422, Some("message")));
        assert!(p.detail.contains("English"), "{}", p.detail);
    }

    #[test]
    fn texts_over_the_limit_or_with_control_characters_are_refused() {
        let long = "x".repeat(TITLE_MAX_CHARS + 1);
        let e = change(&format!(r#"{{"title": {{"en": "{long}"}}}}"#)).unwrap_err();
        assert_eq!(e.problem().field.as_deref(), Some("title.en"));
        let e = change(r#"{"welcome": {"en": "a\u0007b"}}"#).unwrap_err();
        assert_eq!(e.problem().field.as_deref(), Some("welcome.en"));
        let ok = "é".repeat(TITLE_MAX_CHARS);
        assert!(change(&format!(r#"{{"title": {{"en": "{ok}"}}}}"#)).is_ok());
    }

    #[test]
    fn unknown_languages_states_and_fields_are_refused() {
        for body in [
            r#"{"title": {"es": "Fiesta"}}"#,
            r#"{"ordering": "maybe"}"#,
            r#"{"title": "Party"}"#,
        ] {
            let p = change(body).unwrap_err().problem();
            assert_eq!(p.status, 422, "{body}: {}", p.detail);
        }
    }

    #[test]
    fn the_busy_limit_is_set_cleared_or_kept() {
        assert_eq!(
            change(r#"{"busy_limit": 12}"#).unwrap().busy_limit,
            Some(Some(12))
        );
        let off = change(r#"{"busy_limit": null}"#).unwrap();
        assert_eq!(off.busy_limit, Some(None));
        assert!(off.sets_busy_limit_param() && off.busy_limit_param().is_none());
        let kept = change(r#"{"ordering": "paused"}"#).unwrap();
        assert!(!kept.sets_busy_limit_param());
        for bad in ["0", "-1", "10001", "1.5", "\"3\""] {
            let p = change(&format!(r#"{{"busy_limit": {bad}}}"#))
                .unwrap_err()
                .problem();
            assert_eq!(
                (p.status, p.field.as_deref()),
                (422, Some("busy_limit")),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_bar_asks_for_a_new_key_or_none_and_never_sets_one() {
        let new = change(r#"{"order_key": "new"}"#).unwrap();
        assert_eq!(new.order_key_param().as_deref(), Some("new"));
        let none = change(r#"{"order_key": "none"}"#).unwrap();
        assert_eq!(none.order_key_param().as_deref(), Some("none"));
        for bad in [r#""abc123""#, "null", "true"] {
            let p = change(&format!(r#"{{"order_key": {bad}}}"#))
                .unwrap_err()
                .problem();
            assert_eq!((p.status, p.field.as_deref()), (422, Some("order_key")));
        }
    }

    #[test]
    fn an_order_key_is_letters_digits_dashes_or_underscores() {
        assert!(OrderKey::parse("3f9c0a1b2c3d4e5f").is_ok());
        assert!(OrderKey::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "a b", "ä", "x/y", &"a".repeat(65)] {
            assert_eq!(
                OrderKey::parse(bad),
                Err(InvalidValue::BadOrderKey),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_dimming_time_and_the_refused_words_are_set_and_checked_at_their_fields() {
        let c = change(r#"{"ready_dim_minutes": 7, "refused_words": ["Idiot", " Zut "]}"#).unwrap();
        assert_eq!(c.ready_dim_minutes_param(), Some(7));
        assert_eq!(
            c.refused_words_param().unwrap().as_deref(),
            Some(r#"["idiot","zut"]"#)
        );
        let cleared = change(r#"{"refused_words": []}"#).unwrap();
        assert_eq!(
            cleared.refused_words_param().unwrap().as_deref(),
            Some("[]")
        );
        assert_eq!(cleared.ready_dim_minutes_param(), None);
        for (body, field) in [
            (r#"{"ready_dim_minutes": 0}"#, "ready_dim_minutes"),
            (r#"{"ready_dim_minutes": 121}"#, "ready_dim_minutes"),
            (r#"{"ready_dim_minutes": null}"#, "ready_dim_minutes"),
            (r#"{"refused_words": "idiot"}"#, "refused_words"),
            (r#"{"refused_words": null}"#, "refused_words"),
            (r#"{"refused_words": ["ok", ""]}"#, "refused_words[1]"),
            (r#"{"refused_words": ["ok", 3]}"#, "refused_words[1]"),
        ] {
            let p = change(body).unwrap_err().problem();
            assert_eq!((p.status, p.field.as_deref()), (422, Some(field)), "{body}");
        }
    }

    #[test]
    fn a_change_of_nothing_is_refused() {
        for body in ["{}", r#"{"colour": "red"}"#] {
            assert_eq!(change(body).unwrap_err().problem().status, 422, "{body}");
        }
    }

    #[test]
    fn texts_go_to_sql_as_json_objects() {
        let c = change(r#"{"title": {"en": "Gala", "it": "Galà"}}"#).unwrap();
        assert_eq!(
            EventChange::texts_param(&c.title).unwrap().as_deref(),
            Some(r#"{"en":"Gala","it":"Galà"}"#)
        );
        assert_eq!(EventChange::texts_param(&c.welcome).unwrap(), None);
    }
}
