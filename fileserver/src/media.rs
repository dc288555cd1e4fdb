//! `Content-Type` of a file, from its extension (`mime_guess`, with a few corrections).
//!
//! - `.js`, `.mjs` and `.cjs` are `text/javascript` (RFC 9239; `mime_guess` says
//!   `application/javascript` for `.mjs`); source maps (`.map`) are `application/json`.
//! - Every `text/*` type and the XML types (`image/svg+xml`, `application/xml`, `+xml`) get
//!   `; charset=utf-8`: the static files are UTF-8 and the browser must not guess.
//! - JSON types (`application/json`, `application/manifest+json`, `+json`) get no charset:
//!   JSON is UTF-8 by definition and its media type has no charset parameter (RFC 8259 §11).
//! - An unknown or missing extension is `application/octet-stream`; with
//!   `X-Content-Type-Options: nosniff` the browser will not guess either.

/// What the server needs to know about a file's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// The full `Content-Type` value, parameters included.
    pub content_type: String,
    /// Whether gzip is worth it (text-like types); decides `Vary: Accept-Encoding`.
    pub compressible: bool,
    /// Whether this is an HTML page (revalidated on every use).
    pub html: bool,
}

/// The media type of a relative file path such as `img/logo.svg`.
pub fn media_type_for(path: &str) -> MediaType {
    let essence = essence_for(&extension(path));
    let needs_charset =
        essence.starts_with("text/") || essence == "application/xml" || essence.ends_with("+xml");
    let content_type = if needs_charset {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_owned()
    };
    MediaType {
        compressible: is_compressible(essence),
        html: essence == "text/html",
        content_type,
    }
}

/// The lower-cased extension of the last path segment (`""` when it has none).
fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 => name[dot + 1..].to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn essence_for(ext: &str) -> &'static str {
    match ext {
        "" => "application/octet-stream",
        "js" | "mjs" | "cjs" => "text/javascript",
        "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        _ => mime_guess::from_ext(ext)
            .first_raw()
            .unwrap_or("application/octet-stream"),
    }
}

fn is_compressible(essence: &str) -> bool {
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence,
            "application/json" | "application/xml" | "application/javascript" | "application/wasm"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(path: &str) -> String {
        media_type_for(path).content_type
    }

    #[test]
    fn html_is_utf8_html() {
        assert_eq!(ct("index.html"), "text/html; charset=utf-8");
        assert_eq!(ct("bar/page.htm"), "text/html; charset=utf-8");
        assert!(media_type_for("index.html").html);
        assert!(!media_type_for("app.css").html);
    }

    #[test]
    fn scripts_and_modules_are_text_javascript() {
        assert_eq!(ct("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(ct("lib/store.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(ct("app.3f2a9c1b.js"), "text/javascript; charset=utf-8");
    }

    #[test]
    fn stylesheets_and_plain_text_are_utf8() {
        assert_eq!(ct("app.css"), "text/css; charset=utf-8");
        assert_eq!(ct("robots.txt"), "text/plain; charset=utf-8");
    }

    #[test]
    fn json_types_are_correct_and_carry_no_charset() {
        assert_eq!(ct("locale/de.json"), "application/json");
        assert_eq!(ct("app.webmanifest"), "application/manifest+json");
        assert_eq!(ct("app.js.map"), "application/json");
    }

    #[test]
    fn svg_is_utf8_svg() {
        assert_eq!(ct("img/logo.svg"), "image/svg+xml; charset=utf-8");
    }

    #[test]
    fn binary_assets_have_their_own_types() {
        assert_eq!(ct("fonts/inter.woff2"), "font/woff2");
        assert_eq!(ct("img/a.png"), "image/png");
        assert_eq!(ct("img/a.jpg"), "image/jpeg");
        assert_eq!(ct("img/a.jpeg"), "image/jpeg");
        assert_eq!(ct("img/a.webp"), "image/webp");
        assert_eq!(ct("favicon.ico"), "image/x-icon");
    }

    #[test]
    fn extensions_are_matched_case_insensitively() {
        assert_eq!(ct("IMG/PHOTO.PNG"), "image/png");
        assert_eq!(ct("INDEX.HTML"), "text/html; charset=utf-8");
    }

    #[test]
    fn unknown_or_missing_extensions_are_octet_streams() {
        assert_eq!(ct("blob.unknownext"), "application/octet-stream");
        assert_eq!(ct("LICENSE"), "application/octet-stream");
        assert_eq!(ct("dir.v2/LICENSE"), "application/octet-stream");
    }

    #[test]
    fn text_types_are_compressible_and_packed_formats_are_not() {
        for path in [
            "index.html",
            "app.js",
            "app.css",
            "de.json",
            "app.webmanifest",
            "logo.svg",
        ] {
            assert!(media_type_for(path).compressible, "{path}");
        }
        for path in ["a.png", "a.jpg", "a.webp", "f.woff2", "favicon.ico", "blob"] {
            assert!(!media_type_for(path).compressible, "{path}");
        }
    }
}
