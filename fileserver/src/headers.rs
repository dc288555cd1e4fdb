//! Security headers sent on every response (200, 304, 404, 405, 500, HEAD included).
//!
//! - `Content-Security-Policy`: only this origin may supply scripts, styles, images (plus
//!   `data:` images, e.g. a generated QR code), fetches, forms and the manifest; no plugins, no
//!   `<base>` rewriting, no framing, and no `unsafe-inline`: the pages load one stylesheet and
//!   ES modules from files.
//! - `X-Content-Type-Options: nosniff`: the browser trusts our `Content-Type`.
//! - `Referrer-Policy: strict-origin-when-cross-origin`: a cross-origin request or link learns
//!   at most our origin, never a path or query such as `?bar`; same-origin requests keep their
//!   referrer. `no-referrer` would be stricter for navigations but also makes browsers send
//!   `Origin: null` on the pages' own POST/PATCH/DELETE to `/api/...`, which would defeat an
//!   Origin check against cross-site requests; under this CSP no subresource is cross-origin
//!   anyway.
//! - `X-Frame-Options: DENY` (older browsers; `frame-ancestors 'none'` for the rest).
//! - `Cross-Origin-Opener-Policy: same-origin`: no cross-origin window keeps a handle on ours.

/// The strict CSP; no `unsafe-inline` anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Name/value pairs added to every response.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csp_is_exactly_the_agreed_policy() {
        assert_eq!(
            CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
             form-action 'self'"
        );
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }

    #[test]
    fn security_header_names_are_lower_case_tokens() {
        for (name, value) in SECURITY_HEADERS {
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{name}"
            );
            assert!(value.bytes().all(|b| (0x20..0x7f).contains(&b)), "{value}");
        }
    }
}
