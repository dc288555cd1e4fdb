//! Clean public screens: the one place a text is normalised for matching (`fold`), and the
//! event's refused words, which a nickname must not contain.
//!
//! Matching is case- and accent-insensitive and looks *within* the nickname: the bar's
//! words and the nickname are both folded here, in core; the words are stored folded
//! (`event_settings.refused_words`) and `place_order` gets the folded nickname as a
//! parameter, so PostgreSQL only compares (`strpos`) and never normalises text itself.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

use crate::api::to_json;
use crate::domain::{InvalidValue, NICKNAME_MAX_CHARS, shown_text};
use crate::problem::ApiError;

/// How many refused words an event may have.
pub const REFUSED_WORDS_MAX: usize = 200;

/// A text as refused words are matched: lower case (Unicode), `ß` as `ss`, compatibility
/// decomposition (NFKD: ligatures, full-width and styled letters become plain ones) and
/// without combining marks (accents): `"Ÿé ＬＯＬ Straße"` → `"ye lol strasse"`.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
        .replace('ß', "ss")
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        // NFKD can bring back capitals (e.g. from styled letters): lower case once more.
        .to_lowercase()
}

/// The event's refused words, folded, without duplicates, sorted: what `place_order`
/// compares a folded nickname with, and what the bar sees (`GET /api/event/words`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RefusedWords(Vec<String>);

impl RefusedWords {
    /// Each word as typed: a shown text of 1 to 32 characters (a word longer than a
    /// nickname could never match), folded; at most [`REFUSED_WORDS_MAX`].
    pub fn parse<S: AsRef<str>>(words: &[S]) -> Result<Self, InvalidValue> {
        if words.len() > REFUSED_WORDS_MAX {
            return Err(InvalidValue::TooMany {
                max: REFUSED_WORDS_MAX,
            });
        }
        let mut folded = Vec::with_capacity(words.len());
        for word in words {
            folded.push(Self::word(word.as_ref())?);
        }
        folded.sort();
        folded.dedup();
        Ok(Self(folded))
    }

    fn word(raw: &str) -> Result<String, InvalidValue> {
        // At most 32 characters as sent (the contract's `maxLength`), then a shown text.
        let sent = raw.chars().count();
        if sent > NICKNAME_MAX_CHARS {
            return Err(InvalidValue::TooLong {
                max: NICKNAME_MAX_CHARS,
                got: sent,
            });
        }
        let text = shown_text(raw, NICKNAME_MAX_CHARS)?;
        let folded = fold(&text);
        if folded.trim().is_empty() {
            return Err(InvalidValue::Empty);
        }
        Ok(folded)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// `$9` of `UPDATE_EVENT`: the words as a JSON array.
    pub fn param(&self) -> Result<String, ApiError> {
        to_json(&self.0).map(|json| String::from_utf8_lossy(&json).into_owned())
    }
}

/// Each word checked where it stands, so a problem names `refused_words[3]`.
struct RefusedWord(String);

impl<'de> Deserialize<'de> for RefusedWord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        RefusedWords::word(&raw)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for RefusedWords {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let words = Vec::<RefusedWord>::deserialize(d)?;
        let words: Vec<String> = words.into_iter().map(|w| w.0).collect();
        RefusedWords::parse(&words).map_err(serde::de::Error::custom)
    }
}

/// `GET /api/event/words` (bar): the refused words, folded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventWords {
    pub refused_words: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_styled_letters() {
        assert_eq!(fold("Ÿé ＬＯＬ Straße"), "ye lol strasse");
        assert_eq!(fold("ÀÉÎÕÜ Ç ñ"), "aeiou c n");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("ﬁne 𝐁𝐎𝐋𝐃"), "fine bold");
        assert_eq!(fold("שלום 🍹"), "שלום 🍹");
    }

    /// What `place_order` tests in SQL (`strpos` of a stored word in the folded nickname),
    /// on the values core hands it.
    fn refused(words: &RefusedWords, nickname: &str) -> bool {
        let folded = fold(nickname);
        words.as_slice().iter().any(|w| folded.contains(w.as_str()))
    }

    #[test]
    fn a_word_is_found_within_the_folded_nickname_whatever_its_case_and_accents() {
        let words = RefusedWords::parse(&["Idiot", "schéisse"]).unwrap();
        assert_eq!(words.as_slice(), ["idiot", "scheisse"]);
        for bad in ["idiot", "IDIOT", "Super-Ïdiot42", "Scheiße", "SCHEISSE!"] {
            assert!(refused(&words, bad), "{bad}");
        }
        for fine in ["Ana", "Idi Ot", "Scheibe"] {
            assert!(!refused(&words, fine), "{fine}");
        }
        assert!(!refused(&RefusedWords::default(), "idiot"));
    }

    #[test]
    fn words_are_deduplicated_after_folding_and_sorted() {
        let words = RefusedWords::parse(&["Zut", "zut", "ZÜT", "abc"]).unwrap();
        assert_eq!(words.as_slice(), ["abc", "zut"]);
        assert_eq!(words.param().unwrap(), r#"["abc","zut"]"#);
    }

    #[test]
    fn empty_long_or_control_words_and_too_many_are_refused() {
        assert_eq!(RefusedWords::parse(&["  "]), Err(InvalidValue::Empty));
        assert_eq!(RefusedWords::parse(&["\u{301}"]), Err(InvalidValue::Empty));
        assert!(matches!(
            RefusedWords::parse(&["x".repeat(33)]),
            Err(InvalidValue::TooLong { .. })
        ));
        assert_eq!(
            RefusedWords::parse(&["a\u{7}"]),
            Err(InvalidValue::ControlCharacter)
        );
        let many: Vec<String> = (0..=REFUSED_WORDS_MAX).map(|i| format!("w{i}")).collect();
        assert_eq!(
            RefusedWords::parse(&many),
            Err(InvalidValue::TooMany {
                max: REFUSED_WORDS_MAX
            })
        );
    }
}
