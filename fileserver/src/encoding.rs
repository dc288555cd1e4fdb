//! `Accept-Encoding` negotiation and gzip.
//!
//! A file is sent gzip-compressed when its type is compressible, it is at least
//! [`MIN_GZIP_LEN`] bytes long (smaller files do not shrink enough to pay for the header), and
//! the request's `Accept-Encoding` accepts gzip: `gzip` (or its alias `x-gzip`) with a non-zero
//! weight, or `*` with a non-zero weight when gzip is not listed itself. No `Accept-Encoding`,
//! an unparsable weight or `gzip;q=0` mean identity; identity is always acceptable to us, so a
//! request never fails on encoding grounds (RFC 9110 §12.5.3).

use std::io::Write;

use flate2::{Compression, write::GzEncoder};

/// Files shorter than this are always sent as they are.
pub const MIN_GZIP_LEN: usize = 256;

/// Whether the `Accept-Encoding` field value (all field lines joined with `,`) accepts gzip.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(field) = accept_encoding else {
        return false;
    };
    let mut star = None;
    for member in field.split(',') {
        let mut params = member.split(';');
        let coding = params.next().unwrap_or_default().trim();
        if coding.is_empty() {
            continue;
        }
        let mut weight = Some(1000);
        for param in params {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("q") {
                weight = parse_qvalue(value.trim());
            }
        }
        let acceptable = weight.is_some_and(|w| w > 0);
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return acceptable;
        }
        if coding == "*" {
            star = Some(acceptable);
        }
    }
    star.unwrap_or(false)
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

/// Whether a file of this type and length is sent gzip-compressed for this request.
pub fn use_gzip(compressible: bool, len: usize, accept_encoding: Option<&str>) -> bool {
    compressible && len >= MIN_GZIP_LEN && accepts_gzip(accept_encoding)
}

/// gzip of `content` (default level, mtime 0: the same input gives the same bytes).
pub fn gzip(content: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(content.len() / 3 + 64),
        Compression::default(),
    );
    encoder.write_all(content)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

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
    fn a_star_accepts_gzip_unless_gzip_is_listed() {
        assert!(accepts_gzip(Some("*")));
        assert!(accepts_gzip(Some("br, *;q=0.1")));
        assert!(!accepts_gzip(Some("*;q=0")));
        assert!(accepts_gzip(Some("*;q=0, gzip")));
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
    fn only_compressible_files_of_some_size_are_gzipped() {
        assert!(use_gzip(true, MIN_GZIP_LEN, Some("gzip")));
        assert!(!use_gzip(true, MIN_GZIP_LEN - 1, Some("gzip")));
        assert!(!use_gzip(false, 100_000, Some("gzip")));
        assert!(!use_gzip(true, 100_000, Some("identity")));
    }

    #[test]
    fn gzip_round_trips_and_is_deterministic() {
        let text = "Drink Orders is running. ".repeat(100);
        let packed = gzip(text.as_bytes()).expect("gzip");
        assert!(packed.len() < text.len() / 4);
        assert_eq!(packed, gzip(text.as_bytes()).expect("gzip"));
        let mut unpacked = String::new();
        GzDecoder::new(&packed[..])
            .read_to_string(&mut unpacked)
            .expect("gunzip");
        assert_eq!(unpacked, text);
    }
}
