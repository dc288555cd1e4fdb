//! Opaque cursors: the feed position and the queue's page position.
//!
//! Both are base64url (no padding) of a small binary record whose first byte says what it
//! is, so a page cursor is never mistaken for a feed cursor and vice versa. Clients must
//! treat them as opaque strings.
//!
//! Feed cursor = `(tx, seq)` of the last event delivered, plus the transactions at or
//! above `tx` whose events are already known to the client (from the snapshot the cursor
//! was taken in) and must be skipped. The skip list is empty except in cursors that come
//! from a snapshot (`GET /api/feed` without a cursor, `GET /api/queue`); it shrinks as the
//! position passes its entries.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const FEED_KIND: u8 = 1;
const PAGE_KIND: u8 = 2;
/// Upper bound on the skip list a decoded cursor may carry (it is normally empty or tiny).
pub const MAX_SKIP: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed cursor")]
pub struct BadCursor;

/// Position in the event feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCursor {
    tx: u64,
    seq: i64,
    /// Sorted, distinct, every entry greater than `tx`.
    skip: Vec<u64>,
}

impl FeedCursor {
    /// Before every event.
    pub fn beginning() -> Self {
        Self {
            tx: 0,
            seq: 0,
            skip: Vec::new(),
        }
    }

    /// The position of a snapshot: `xmin` is the snapshot's xmin, `visible` the
    /// transactions at or above it whose events the snapshot already sees. Both come from
    /// the database as text (`xid8::text`, comma-separated list).
    pub fn from_snapshot(xmin: &str, visible: &str) -> Result<Self, BadCursor> {
        let tx = parse_xid(xmin)?;
        let mut skip = Vec::new();
        for part in visible.split(',').filter(|p| !p.is_empty()) {
            let x = parse_xid(part)?;
            if x > tx {
                skip.push(x);
            }
        }
        skip.sort_unstable();
        skip.dedup();
        // A snapshot that saw more late commits than a cursor may carry keeps the lowest
        // ones; the others are delivered again, which clients absorb by `version`.
        skip.truncate(MAX_SKIP);
        Ok(Self { tx, seq: 0, skip })
    }

    /// The position right after an event at `(tx, seq)` (`tx` as `xid8::text`).
    pub fn after_event(&self, tx: &str, seq: i64) -> Result<Self, BadCursor> {
        let tx = parse_xid(tx)?;
        if seq < 0 {
            return Err(BadCursor);
        }
        Ok(Self {
            tx,
            seq,
            skip: self.skip.iter().copied().filter(|s| *s > tx).collect(),
        })
    }

    /// `$1` of the feed query: the transaction, as text for `$1::text::xid8`.
    pub fn tx_param(&self) -> String {
        self.tx.to_string()
    }

    /// `$2` of the feed query.
    pub fn seq_param(&self) -> i64 {
        self.seq
    }

    /// `$3` of the feed query: the transactions to skip, comma-separated ('' for none).
    pub fn skip_param(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.skip.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&s.to_string());
        }
        out
    }

    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(17 + 8 * self.skip.len());
        bytes.push(FEED_KIND);
        bytes.extend_from_slice(&self.tx.to_be_bytes());
        bytes.extend_from_slice(&(self.seq as u64).to_be_bytes());
        for s in &self.skip {
            bytes.extend_from_slice(&s.to_be_bytes());
        }
        base64url_encode(&bytes)
    }

    pub fn decode(text: &str) -> Result<Self, BadCursor> {
        if text.len() > 4 * (17 + 8 * MAX_SKIP).div_ceil(3) {
            return Err(BadCursor);
        }
        let bytes = base64url_decode(text)?;
        if bytes.len() < 17 || (bytes.len() - 17) % 8 != 0 || bytes[0] != FEED_KIND {
            return Err(BadCursor);
        }
        let tx = read_u64(&bytes[1..9]);
        let seq = i64::try_from(read_u64(&bytes[9..17])).map_err(|_| BadCursor)?;
        let skip: Vec<u64> = bytes[17..].chunks_exact(8).map(read_u64).collect();
        let ordered = skip.windows(2).all(|w| w[0] < w[1]);
        if skip.len() > MAX_SKIP || !ordered || skip.first().is_some_and(|s| *s <= tx) {
            return Err(BadCursor);
        }
        Ok(Self { tx, seq, skip })
    }
}

impl fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// Position in a keyset-paginated list ordered by order id: the last id of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    pub last_id: i64,
}

impl PageCursor {
    pub fn encode(&self) -> String {
        let mut bytes = vec![PAGE_KIND];
        bytes.extend_from_slice(&(self.last_id as u64).to_be_bytes());
        base64url_encode(&bytes)
    }

    pub fn decode(text: &str) -> Result<Self, BadCursor> {
        if text.len() > 16 {
            return Err(BadCursor);
        }
        let bytes = base64url_decode(text)?;
        if bytes.len() != 9 || bytes[0] != PAGE_KIND {
            return Err(BadCursor);
        }
        match i64::try_from(read_u64(&bytes[1..9])) {
            Ok(last_id) if last_id > 0 => Ok(Self { last_id }),
            _ => Err(BadCursor),
        }
    }
}

fn parse_xid(text: &str) -> Result<u64, BadCursor> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadCursor);
    }
    text.parse().map_err(|_| BadCursor)
}

fn read_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(bytes);
    u64::from_be_bytes(buf)
}

/// base64url without padding (RFC 4648 §5). Decoding is strict: no padding, no other
/// alphabet, and the unused bits of the last character must be zero, so every cursor has
/// exactly one spelling.
fn base64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn base64url_decode(text: &str) -> Result<Vec<u8>, BadCursor> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| BadCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = base64url_encode(&bytes);
            assert!(!text.contains('='));
            assert_eq!(base64url_decode(&text).unwrap(), bytes, "len {len}");
        }
    }

    #[test]
    fn base64url_matches_known_vectors() {
        assert_eq!(base64url_encode(b"f"), "Zg");
        assert_eq!(base64url_encode(b"fo"), "Zm8");
        assert_eq!(base64url_encode(b"foo"), "Zm9v");
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn feed_cursor_round_trips() {
        let c = FeedCursor::from_snapshot("746", "747,750,747")
            .unwrap()
            .after_event("746", 9)
            .unwrap();
        assert_eq!(c.skip, vec![747, 750]);
        assert_eq!(FeedCursor::decode(&c.encode()), Ok(c));
        let b = FeedCursor::beginning();
        assert_eq!(FeedCursor::decode(&b.encode()), Ok(b));
    }

    #[test]
    fn feed_cursor_params_match_the_sql_placeholders() {
        let c = FeedCursor::from_snapshot("746", "748,747").unwrap();
        assert_eq!(c.tx_param(), "746");
        assert_eq!(c.seq_param(), 0);
        assert_eq!(c.skip_param(), "747,748");
        assert_eq!(FeedCursor::beginning().skip_param(), "");
    }

    #[test]
    fn skip_list_shrinks_as_the_position_passes_it() {
        let c = FeedCursor::from_snapshot("100", "101,105").unwrap();
        let c = c.after_event("102", 7).unwrap();
        assert_eq!(c.skip, vec![105]);
        let c = c.after_event("106", 8).unwrap();
        assert!(c.skip.is_empty());
    }

    #[test]
    fn snapshot_ignores_transactions_below_its_xmin() {
        let c = FeedCursor::from_snapshot("100", "99,100,101").unwrap();
        assert_eq!(c.skip, vec![101]);
    }

    #[test]
    fn snapshot_with_bad_numbers_is_rejected() {
        assert_eq!(FeedCursor::from_snapshot("", ""), Err(BadCursor));
        assert_eq!(FeedCursor::from_snapshot("1", "2,x"), Err(BadCursor));
        assert_eq!(FeedCursor::from_snapshot("-1", ""), Err(BadCursor));
    }

    #[test]
    fn malformed_feed_cursors_are_rejected() {
        let good = FeedCursor::from_snapshot("5", "9").unwrap().encode();
        let page = PageCursor { last_id: 5 }.encode();
        for bad in [
            "",
            "!!!!",
            "abc",
            "A",
            "AAAA",
            &good[..good.len() - 1],
            &format!("{good}A"),
            &format!("{good}="),
            &page,
            "../../etc/passwd",
            &"A".repeat(100_000),
        ] {
            assert_eq!(FeedCursor::decode(bad), Err(BadCursor), "{bad:.40}");
        }
    }

    #[test]
    fn feed_cursor_with_unsorted_or_stale_skip_list_is_rejected() {
        let mut bytes = vec![FEED_KIND];
        bytes.extend_from_slice(&10u64.to_be_bytes());
        bytes.extend_from_slice(&0u64.to_be_bytes());
        let mut stale = bytes.clone();
        stale.extend_from_slice(&10u64.to_be_bytes());
        assert_eq!(
            FeedCursor::decode(&base64url_encode(&stale)),
            Err(BadCursor)
        );
        let mut unsorted = bytes.clone();
        unsorted.extend_from_slice(&12u64.to_be_bytes());
        unsorted.extend_from_slice(&11u64.to_be_bytes());
        assert_eq!(
            FeedCursor::decode(&base64url_encode(&unsorted)),
            Err(BadCursor)
        );
    }

    #[test]
    fn feed_cursor_with_negative_sequence_is_rejected() {
        let mut bytes = vec![FEED_KIND];
        bytes.extend_from_slice(&10u64.to_be_bytes());
        bytes.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(
            FeedCursor::decode(&base64url_encode(&bytes)),
            Err(BadCursor)
        );
    }

    #[test]
    fn non_canonical_base64_is_rejected() {
        // "Zh" decodes to 'f' with stray low bits set; only "Zg" is canonical.
        assert_eq!(base64url_decode("Zh"), Err(BadCursor));
        assert_eq!(base64url_decode("Zg"), Ok(b"f".to_vec()));
    }

    #[test]
    fn page_cursor_round_trips() {
        let c = PageCursor { last_id: 123_456 };
        assert_eq!(PageCursor::decode(&c.encode()), Ok(c));
    }

    #[test]
    fn malformed_page_cursors_are_rejected() {
        let feed = FeedCursor::beginning().encode();
        let zero = {
            let mut b = vec![PAGE_KIND];
            b.extend_from_slice(&0u64.to_be_bytes());
            base64url_encode(&b)
        };
        for bad in ["", "x", "AAAAAAAAAAAA", "AgAAAAAAAAAB=", &feed, &zero] {
            assert_eq!(PageCursor::decode(bad), Err(BadCursor), "{bad}");
        }
    }
}
