//! Request target → file path inside the static root.
//!
//! The rules, in order:
//! - everything from the first `?` or `#` on is ignored (`/?bar` and `/?qr` are `/`);
//! - the path must start with `/` and be at most [`MAX_PATH_LEN`] bytes long;
//! - `/` alone means `index.html`;
//! - the rest is split on raw `/` into segments, and each segment is percent-decoded once;
//! - a segment is refused when it is empty (`//`, a trailing `/`: directories are not listed),
//!   starts with `.` (`.`, `..`, dotfiles, also when written `%2e`), is not UTF-8, or contains,
//!   raw or decoded, a `/` (`%2f`), a `\`, a NUL or another control character, or a `%` after
//!   decoding (`%252e` and every other double encoding), or when a `%` is not followed by two
//!   hex digits.
//!
//! A refused path is answered 404, exactly like a missing file: nothing tells a prober whether a
//! dotfile exists.

/// Longest request path (before the query) that is looked up at all.
pub const MAX_PATH_LEN: usize = 1024;

/// The file served for `/`.
pub const INDEX_FILE: &str = "index.html";

/// Maps a request target (path with optional query) to a relative file path such as
/// `index.html` or `img/logo.svg`, or `None` when the path must not be served.
pub fn resolve(target: &str) -> Option<String> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let rest = path.strip_prefix('/')?;
    if path.len() > MAX_PATH_LEN {
        return None;
    }
    if rest.is_empty() {
        return Some(INDEX_FILE.to_owned());
    }
    let mut segments = Vec::new();
    for raw in rest.split('/') {
        segments.push(decode_segment(raw)?);
    }
    Some(segments.join("/"))
}

/// Percent-decodes one path segment and applies the segment rules.
fn decode_segment(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            let decoded = (hi << 4) | lo;
            if decoded == b'%' || !allowed_byte(decoded) {
                return None;
            }
            out.push(decoded);
            i += 3;
        } else {
            if !allowed_byte(b) {
                return None;
            }
            out.push(b);
            i += 1;
        }
    }
    if out.is_empty() || out[0] == b'.' {
        return None;
    }
    String::from_utf8(out).ok()
}

/// Bytes that may appear in a decoded segment: no separators, no controls.
fn allowed_byte(b: u8) -> bool {
    !(b == b'/' || b == b'\\' || b < 0x20 || b == 0x7f)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(target: &str) -> String {
        resolve(target).unwrap_or_else(|| panic!("{target} should resolve"))
    }

    #[test]
    fn the_root_serves_the_index_file() {
        assert_eq!(ok("/"), "index.html");
    }

    #[test]
    fn query_strings_are_ignored_for_the_lookup() {
        assert_eq!(ok("/?bar"), "index.html");
        assert_eq!(ok("/?qr"), "index.html");
        assert_eq!(ok("/app.js?v=3&x=../../etc"), "app.js");
        assert_eq!(ok("/app.css#top"), "app.css");
    }

    #[test]
    fn nested_files_keep_their_folders() {
        assert_eq!(ok("/img/logo.svg"), "img/logo.svg");
        assert_eq!(ok("/locale/de.json"), "locale/de.json");
    }

    #[test]
    fn percent_encoded_spaces_and_unicode_are_decoded() {
        assert_eq!(ok("/my%20file.txt"), "my file.txt");
        assert_eq!(ok("/caf%C3%A9.png"), "café.png");
        assert_eq!(ok("/a+b.txt"), "a+b.txt");
    }

    #[test]
    fn dot_dot_segments_are_rejected() {
        assert_eq!(resolve("/../etc/passwd"), None);
        assert_eq!(resolve("/img/../index.html"), None);
        assert_eq!(resolve("/.."), None);
        assert_eq!(resolve("/./index.html"), None);
    }

    #[test]
    fn encoded_dot_dot_segments_are_rejected() {
        assert_eq!(resolve("/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve("/%2E%2E/etc/passwd"), None);
        assert_eq!(resolve("/.%2e/x"), None);
        assert_eq!(resolve("/%2e/index.html"), None);
    }

    #[test]
    fn encoded_slashes_are_rejected() {
        assert_eq!(resolve("/img%2flogo.svg"), None);
        assert_eq!(resolve("/img%2Flogo.svg"), None);
        assert_eq!(resolve("/..%2f..%2fetc%2fpasswd"), None);
    }

    #[test]
    fn backslashes_raw_or_encoded_are_rejected() {
        assert_eq!(resolve("/..\\etc\\passwd"), None);
        assert_eq!(resolve("/img\\logo.svg"), None);
        assert_eq!(resolve("/img%5clogo.svg"), None);
        assert_eq!(resolve("/img%5Clogo.svg"), None);
    }

    #[test]
    fn nul_and_control_characters_are_rejected() {
        assert_eq!(resolve("/index.html%00.png"), None);
        assert_eq!(resolve("/index.html\0"), None);
        assert_eq!(resolve("/a%0ab"), None);
        assert_eq!(resolve("/a%7fb"), None);
        assert_eq!(resolve("/a\tb"), None);
    }

    #[test]
    fn double_encoding_is_rejected() {
        assert_eq!(resolve("/%252e%252e/etc/passwd"), None);
        assert_eq!(resolve("/img%252flogo.svg"), None);
        assert_eq!(resolve("/100%25.txt"), None);
    }

    #[test]
    fn malformed_percent_escapes_are_rejected() {
        assert_eq!(resolve("/a%2"), None);
        assert_eq!(resolve("/a%"), None);
        assert_eq!(resolve("/a%zz"), None);
        assert_eq!(resolve("/a%%41"), None);
    }

    #[test]
    fn invalid_utf8_after_decoding_is_rejected() {
        assert_eq!(resolve("/%ff%fe.txt"), None);
        assert_eq!(resolve("/%c3"), None);
    }

    #[test]
    fn dotfiles_are_not_revealed() {
        assert_eq!(resolve("/.env"), None);
        assert_eq!(resolve("/.git/config"), None);
        assert_eq!(resolve("/img/.hidden.png"), None);
        assert_eq!(resolve("/%2egit/config"), None);
        assert_eq!(resolve("/.well-known/security.txt"), None);
    }

    #[test]
    fn empty_segments_and_trailing_slashes_are_rejected() {
        assert_eq!(resolve("//index.html"), None);
        assert_eq!(resolve("/img//logo.svg"), None);
        assert_eq!(resolve("/img/"), None);
    }

    #[test]
    fn targets_without_a_leading_slash_are_rejected() {
        assert_eq!(resolve(""), None);
        assert_eq!(resolve("index.html"), None);
        assert_eq!(resolve("?bar"), None);
        assert_eq!(resolve("*"), None);
        assert_eq!(resolve("http://example.com/index.html"), None);
    }

    #[test]
    fn overlong_paths_are_rejected() {
        let long = format!("/{}", "a".repeat(MAX_PATH_LEN));
        assert_eq!(resolve(&long), None);
        let fits = format!("/{}", "a".repeat(MAX_PATH_LEN - 1));
        assert!(resolve(&fits).is_some());
    }

    #[test]
    fn a_dot_inside_a_name_is_fine() {
        assert_eq!(ok("/app.3f2a9c1b.js"), "app.3f2a9c1b.js");
        assert_eq!(ok("/a..b.txt"), "a..b.txt");
    }
}
