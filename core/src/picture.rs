//! A drink's picture: one of the bundled icons, or a picture the bar uploads (PNG, JPEG or
//! WebP, recognised by its content, at most [`MAX_PICTURE_BYTES`]), stored in PostgreSQL
//! under the SHA-256 of its bytes and served at a content-addressed URL.

use serde::{Deserialize, Serialize};

use crate::domain::InvalidValue;
use crate::problem::{ApiError, RequestError};

/// The largest picture the bar may upload.
pub const MAX_PICTURE_BYTES: usize = 256 * 1024;

/// The drawn icons in `static/img/drinks/<id>.svg`, in the order the bar's picker shows
/// them (a test holds this list and the files together). A drink whose id is one of them
/// shows it by default; any other drink the generic glass (`generic`).
pub const ICONS: &[&str] = &[
    "espresso",
    "cappuccino",
    "latte",
    "tea",
    "hot-chocolate",
    "water",
    "sparkling-water",
    "cola",
    "lemonade",
    "juice",
    "fruit-juice",
    "smoothie",
    "beer",
    "alcohol-free-beer",
    "wine",
    "red-wine",
    "white-wine",
    "sparkling-wine",
    "cocktail",
    "mocktail",
    "spritz",
    "generic",
];

/// One of [`ICONS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Icon(String);

impl Icon {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if ICONS.contains(&raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::UnknownIcon(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Icon {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Icon::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The kinds of picture the bar may upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureType {
    Png,
    Jpeg,
    Webp,
}

impl PictureType {
    pub const ALL: [PictureType; 3] = [PictureType::Png, PictureType::Jpeg, PictureType::Webp];

    pub fn mime(self) -> &'static str {
        match self {
            PictureType::Png => "image/png",
            PictureType::Jpeg => "image/jpeg",
            PictureType::Webp => "image/webp",
        }
    }

    /// What the bytes are, by their signature; the name and the declared type do not count.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(PictureType::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(PictureType::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(PictureType::Webp)
        } else {
            None
        }
    }
}

/// An uploaded picture: the declared type must be one of ours (415 otherwise, naming them),
/// and the content must be a PNG, JPEG or WebP (422 otherwise: an SVG named `.png` is not).
pub fn picture(content_type: Option<&str>, bytes: &[u8]) -> Result<PictureType, ApiError> {
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|s| s.trim().to_ascii_lowercase());
    if !PictureType::ALL
        .iter()
        .any(|t| Some(t.mime()) == essence.as_deref())
    {
        return Err(RequestError::UnsupportedPictureType.into());
    }
    PictureType::sniff(bytes).ok_or_else(|| RequestError::NotAPicture.into())
}

/// A picture's id: the lower-case hex SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureId(String);

impl PictureId {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let ok = raw.len() == 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::NotAPictureId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The strong ETag of the picture: its id (the bytes never change under it).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_recognised_by_their_content_not_their_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(picture(Some("image/png"), png).unwrap(), PictureType::Png);
        // Declared as JPEG, but a PNG: the content decides.
        assert_eq!(picture(Some("image/jpeg"), png).unwrap(), PictureType::Png);
        assert_eq!(
            picture(Some("image/webp"), b"RIFF\x10\0\0\0WEBPVP8 ").unwrap(),
            PictureType::Webp
        );
        assert_eq!(
            picture(Some("image/jpeg; q=1"), &[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            PictureType::Jpeg
        );
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        let p = picture(Some("image/png"), svg).unwrap_err().problem();
        assert_eq!(
            (p.status, p.kind.as_str()),
            (422, "/problems/invalid-picture")
        );
        let p = picture(Some("image/svg+xml"), svg).unwrap_err().problem();
        assert_eq!(p.status, 415);
        assert_eq!(picture(None, png).unwrap_err().problem().status, 415);
    }

    #[test]
    fn icons_are_the_bundled_ones() {
        assert!(ICONS.len() >= 20);
        assert!(Icon::parse("cocktail").is_ok());
        assert_eq!(
            Icon::parse("../x"),
            Err(InvalidValue::UnknownIcon("../x".into()))
        );
    }

    #[test]
    fn a_picture_id_is_a_sha256_in_hex() {
        let id = "a".repeat(64);
        assert_eq!(PictureId::parse(&id).unwrap().etag(), format!("\"{id}\""));
        for bad in [
            "",
            "A".repeat(64).as_str(),
            &"a".repeat(63),
            "../etc/passwd",
        ] {
            assert!(PictureId::parse(bad).is_err(), "{bad}");
        }
    }
}
