//! `Cache-Control` policy.
//!
//! | file | `Cache-Control` |
//! |---|---|
//! | HTML pages (any name) | `no-cache`: stored, but revalidated with `If-None-Match` on every use, so a deploy shows at once |
//! | the service worker, `/sw.js` (its URL must stay the same, so it cannot be fingerprinted) | `no-cache`, like HTML: a deploy's new worker is found at the next check |
//! | fingerprinted files: a dot-separated part of the name, neither the first nor the extension, of 8 to 64 lower-case hex digits (`app.3f2a9c1b.js`, `logo.0123abcd.min.svg`) | `public, max-age=31536000, immutable`: the name changes whenever the content does |
//! | every other file | `public, max-age=300`: at most five minutes stale, then revalidated |
//! | errors (404, 405, 500) | `no-store`: a file missing during a deploy must not stay missing in caches |

/// HTML pages, and the service worker.
pub const HTML: &str = "no-cache";
/// The service worker's path: a fixed URL (browsers identify a worker by it), built by
/// web/build.mjs with the version of the site it caches.
pub const SERVICE_WORKER: &str = "sw.js";
/// Files whose name carries a content hash.
pub const FINGERPRINTED: &str = "public, max-age=31536000, immutable";
/// Every other file.
pub const SHORT: &str = "public, max-age=300";
/// Error responses.
pub const ERROR: &str = "no-store";

/// The `Cache-Control` value for a file that is served.
pub fn cache_control_for(path: &str, html: bool) -> &'static str {
    if html || path.trim_start_matches('/') == SERVICE_WORKER {
        HTML
    } else if is_fingerprinted(path) {
        FINGERPRINTED
    } else {
        SHORT
    }
}

/// Whether the file name (last segment) carries a content hash: some dot-separated part other
/// than the first and the last is 8 to 64 lower-case hex digits.
pub fn is_fingerprinted(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            (8..=64).contains(&part.len())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_pages_are_always_revalidated() {
        assert_eq!(cache_control_for("index.html", true), "no-cache");
        assert_eq!(cache_control_for("index.3f2a9c1b.html", true), "no-cache");
    }

    #[test]
    fn fingerprinted_assets_are_immutable_for_a_year() {
        assert_eq!(
            cache_control_for("app.3f2a9c1b.js", false),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            cache_control_for("img/logo.0123abcd.min.svg", false),
            FINGERPRINTED
        );
        let sha256 = "a".repeat(64);
        assert_eq!(
            cache_control_for(&format!("x.{sha256}.css"), false),
            FINGERPRINTED
        );
    }

    #[test]
    fn the_service_worker_is_always_revalidated() {
        assert_eq!(cache_control_for("sw.js", false), "no-cache");
        assert_eq!(cache_control_for("/sw.js", false), HTML);
        assert_eq!(cache_control_for("js/sw.js", false), SHORT);
    }

    #[test]
    fn unfingerprinted_assets_get_five_minutes() {
        assert_eq!(cache_control_for("app.js", false), "public, max-age=300");
        assert_eq!(cache_control_for("app.css", false), SHORT);
        assert_eq!(cache_control_for("locale/de.json", false), SHORT);
    }

    #[test]
    fn short_uppercase_or_misplaced_hex_is_not_a_fingerprint() {
        assert!(!is_fingerprinted("app.3f2a9c1.js"));
        assert!(!is_fingerprinted("app.3F2A9C1B.js"));
        assert!(!is_fingerprinted("3f2a9c1b.js"));
        assert!(!is_fingerprinted("app.js.3f2a9c1b"));
        assert!(!is_fingerprinted("app-3f2a9c1b.js"));
        assert!(!is_fingerprinted("app.3f2a9c1g.js"));
        assert!(!is_fingerprinted(&format!("x.{}.css", "a".repeat(65))));
        assert!(!is_fingerprinted("a3f2a9c1b0.d/app.js"));
    }
}
