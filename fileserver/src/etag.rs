//! `If-None-Match` against the strong ETags that `web/build.mjs` wrote into the manifest
//! (`"<20 hex of SHA-256>"`, with `-gz`/`-br` for the precompressed variants, so two encodings
//! of one file never share a tag, RFC 9110 §8.8.3). Nothing is hashed per request.

/// Whether an `If-None-Match` field value (all field lines joined with `,`) matches `current`,
/// i.e. whether a GET/HEAD is answered 304. `*` matches any existing file; otherwise the list is
/// compared with the weak comparison (RFC 9110 §13.1.2: `W/` is ignored on both sides).
/// Malformed members are skipped; they never match.
pub fn if_none_match_matches(field: &str, current: &str) -> bool {
    let current = opaque(current);
    let mut rest = field;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        if rest.is_empty() {
            return false;
        }
        if let Some(after) = rest
            .strip_prefix('*')
            .map(|a| a.trim_start_matches([' ', '\t']))
            && (after.is_empty() || after.starts_with(','))
        {
            return true;
        }
        let tag_start = rest.strip_prefix("W/").unwrap_or(rest);
        if let Some(quoted) = tag_start.strip_prefix('"') {
            if let Some(end) = quoted.find('"') {
                if Some(&quoted[..end]) == current {
                    return true;
                }
                rest = &quoted[end + 1..];
                continue;
            }
            return false;
        }
        // Not an entity-tag: skip to the next member.
        match rest.find(',') {
            Some(comma) => rest = &rest[comma + 1..],
            None => return false,
        }
    }
}

/// The opaque part of an entity-tag (between the quotes), `W/` ignored.
fn opaque(tag: &str) -> Option<&str> {
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')?.strip_suffix('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"00000000000000ab-10\"";

    #[test]
    fn another_representation_of_the_same_file_does_not_match() {
        let plain = "\"00000000000000ab-10\"";
        let gz = "\"00000000000000ab-10-gz\"";
        assert!(!if_none_match_matches(plain, gz));
        assert!(!if_none_match_matches(gz, plain));
    }

    #[test]
    fn a_matching_tag_gives_a_match() {
        assert!(if_none_match_matches(TAG, TAG));
        assert!(if_none_match_matches(&format!("  {TAG}  "), TAG));
    }

    #[test]
    fn a_different_tag_gives_no_match() {
        assert!(!if_none_match_matches("\"other\"", TAG));
        assert!(!if_none_match_matches("\"00000000000000ab-1\"", TAG));
        assert!(!if_none_match_matches("", TAG));
    }

    #[test]
    fn lists_match_when_any_member_matches() {
        assert!(if_none_match_matches(&format!("\"a\", \"b\",{TAG}"), TAG));
        assert!(if_none_match_matches(&format!("{TAG}, \"a\""), TAG));
        assert!(if_none_match_matches(&format!(",, \"a\" ,\t{TAG} ,"), TAG));
        assert!(!if_none_match_matches("\"a\", \"b\"", TAG));
    }

    #[test]
    fn weak_comparison_ignores_the_weak_prefix() {
        assert!(if_none_match_matches(&format!("W/{TAG}"), TAG));
        assert!(if_none_match_matches(&format!("\"x\", W/{TAG}"), TAG));
        assert!(if_none_match_matches(TAG, &format!("W/{TAG}")));
    }

    #[test]
    fn a_star_matches_any_current_representation() {
        assert!(if_none_match_matches("*", TAG));
        assert!(if_none_match_matches(" * ", TAG));
    }

    #[test]
    fn commas_inside_quotes_belong_to_the_tag() {
        assert!(if_none_match_matches("\"a,b\"", "\"a,b\""));
        assert!(!if_none_match_matches("\"a,b\"", "\"b\""));
    }

    #[test]
    fn malformed_members_are_skipped_without_panicking() {
        assert!(if_none_match_matches(&format!("garbage, {TAG}"), TAG));
        assert!(if_none_match_matches(&format!("W/garbage, {TAG}"), TAG));
        assert!(!if_none_match_matches("\"unterminated", TAG));
        assert!(!if_none_match_matches("*x", TAG));
        assert!(!if_none_match_matches("W/", TAG));
        assert!(!if_none_match_matches("\"", TAG));
        assert!(!if_none_match_matches("é\"ü", TAG));
        assert!(!if_none_match_matches(TAG, "not-a-tag"));
    }
}
