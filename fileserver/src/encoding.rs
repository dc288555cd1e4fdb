//! `Accept-Encoding` negotiation between the representations the build wrote.
//!
//! `web/build.mjs` precompresses text files (gzip and brotli, each only when it is smaller);
//! this module only picks one. A coding is acceptable when the request's `Accept-Encoding`
//! lists it (`gzip` or its alias `x-gzip`, `br`) with a non-zero weight, or has `*` with a
//! non-zero weight and does not list it. Of the acceptable variants that exist, the higher
//! weight wins, brotli on a tie (it is smaller). No `Accept-Encoding`, an unparsable weight or
//! `q=0` mean identity; identity is always acceptable to us, so a request never fails on
//! encoding grounds (RFC 9110 §12.5.3).

/// A representation of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Br,
}

const GZIP: &[&str] = &["gzip", "x-gzip"];
const BR: &[&str] = &["br"];

/// The weight (thousandths) the `Accept-Encoding` field value (all field lines joined with
/// `,`) gives the coding called `names`; 0 when it is not acceptable.
pub fn weight(accept_encoding: Option<&str>, names: &[&str]) -> u16 {
    let mut star = 0;
    for member in accept_encoding.unwrap_or_default().split(',') {
        let mut params = member.split(';');
        let name = params.next().unwrap_or_default().trim();
        let weight = params
            .filter_map(|param| param.split_once('='))
            .filter(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
            .map(|(_, value)| parse_qvalue(value.trim()).unwrap_or(0))
            .next_back()
            .unwrap_or(1000);
        if names.iter().any(|n| name.eq_ignore_ascii_case(n)) {
            return weight;
        }
        if name == "*" {
            star = weight;
        }
    }
    star
}

/// A qvalue (`0`, `0.5`, `1.000`, ...) in thousandths, or `None` when it is not one.
fn parse_qvalue(value: &str) -> Option<u16> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// The representation to send, among the variants that exist (`has_gzip`, `has_br`): the
/// acceptable one with the higher weight, brotli on a tie.
pub fn choose(accept_encoding: Option<&str>, has_gzip: bool, has_br: bool) -> Coding {
    let br = if has_br {
        weight(accept_encoding, BR)
    } else {
        0
    };
    let gzip = if has_gzip {
        weight(accept_encoding, GZIP)
    } else {
        0
    };
    match (br, gzip) {
        (0, 0) => Coding::Identity,
        (br, gzip) if br >= gzip => Coding::Br,
        _ => Coding::Gzip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts_gzip(field: Option<&str>) -> bool {
        weight(field, GZIP) > 0
    }

    #[test]
    fn gzip_is_accepted_when_listed() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(Some("br;q=1.0, GZIP;q=0.8")));
        assert!(accepts_gzip(Some("x-gzip")));
        assert!(accepts_gzip(Some("deflate , gzip ; q=0.001")));
    }

    #[test]
    fn gzip_is_refused_when_absent_or_weighted_zero() {
        assert!(!accepts_gzip(None));
        assert!(!accepts_gzip(Some("")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("br, deflate")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("gzip; q=0.000")));
        assert!(!accepts_gzip(Some("*, gzip;q=0")));
    }

    #[test]
    fn a_star_accepts_a_coding_unless_it_is_listed() {
        assert!(accepts_gzip(Some("*")));
        assert!(accepts_gzip(Some("br, *;q=0.1")));
        assert!(!accepts_gzip(Some("*;q=0")));
        assert!(accepts_gzip(Some("*;q=0, gzip")));
        assert_eq!(weight(Some("gzip, *;q=0.5"), BR), 500);
    }

    #[test]
    fn malformed_weights_count_as_not_acceptable() {
        assert!(!accepts_gzip(Some("gzip;q=2")));
        assert!(!accepts_gzip(Some("gzip;q=1.5")));
        assert!(!accepts_gzip(Some("gzip;q=0.0001")));
        assert!(!accepts_gzip(Some("gzip;q=abc")));
        assert!(!accepts_gzip(Some("gzip;q=")));
        assert!(!accepts_gzip(Some("gzip;q=-1")));
        assert!(accepts_gzip(Some("gzip;level")));
    }

    #[test]
    fn qvalues_parse_in_thousandths() {
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1.001"), None);
        assert_eq!(parse_qvalue(".5"), None);
    }

    #[test]
    fn brotli_wins_a_tie_and_the_heavier_coding_wins_otherwise() {
        let browser = Some("gzip, deflate, br, zstd");
        assert_eq!(choose(browser, true, true), Coding::Br);
        assert_eq!(choose(Some("br;q=0.5, gzip"), true, true), Coding::Gzip);
        assert_eq!(choose(Some("br, gzip;q=0.9"), true, true), Coding::Br);
    }

    #[test]
    fn only_variants_that_exist_are_chosen() {
        let browser = Some("gzip, br");
        assert_eq!(choose(browser, true, false), Coding::Gzip);
        assert_eq!(choose(browser, false, true), Coding::Br);
        assert_eq!(choose(browser, false, false), Coding::Identity);
        assert_eq!(choose(Some("br"), true, false), Coding::Identity);
    }

    #[test]
    fn no_acceptable_coding_means_identity() {
        assert_eq!(choose(None, true, true), Coding::Identity);
        assert_eq!(choose(Some("identity"), true, true), Coding::Identity);
        assert_eq!(
            choose(Some("gzip;q=0, br;q=0"), true, true),
            Coding::Identity
        );
    }
}
