//! Property tests of every parser in drinks-core's public API: none panics on arbitrary
//! input, what is accepted round-trips, and what a parsed value promises holds.

use drinks_core::api::{DrinkChange, EventKind, PlaceOrder, StatusChange};
use drinks_core::cursor::MAX_SKIP;
use drinks_core::domain::{NICKNAME_MAX_CHARS, NICKNAME_MAX_SCALARS, nickname_length};
use drinks_core::http::{
    self, FEED_MAX_LIMIT, FeedQuery, MAX_BODY_BYTES, QUEUE_MAX_LIMIT, QueueQuery, QueueRequest,
    TAIL_MAX,
};
use drinks_core::moderation::{RefusedWords, fold};
use drinks_core::{
    ApiError, DbFailure, DrinkId, FeedCursor, Nickname, OrderId, OrderStatus, PageCursor,
    RequestId, VisitorId, shapes,
};
use proptest::prelude::*;

// ---------------------------------------------------------------- helpers

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding, written independently of the crate's codec.
fn b64(bytes: &[u8]) -> String {
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = String::new();
    for &b in bytes {
        bits = (bits << 8) | u32::from(b);
        nbits += 8;
        while nbits >= 6 {
            nbits -= 6;
            out.push(char::from(BASE64URL[((bits >> nbits) & 63) as usize]));
        }
    }
    if nbits > 0 {
        out.push(char::from(BASE64URL[((bits << (6 - nbits)) & 63) as usize]));
    }
    out
}

/// Strings that are mostly not ASCII-friendly: any scalar values, including controls,
/// bidi marks, white space of every kind and astral characters.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                any::<char>(),
                Just(' '),
                Just('\u{3000}'),
                Just('\u{00A0}'),
                Just('\u{202E}'),
                Just('\u{2066}'),
                Just('\u{200D}'),
                Just('\u{0085}'),
                Just('\n'),
                Just('🍹'),
            ],
            0..60
        )
        .prop_map(|v| v.into_iter().collect()),
    ]
}

fn forbidden_in_nickname(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// A nickname that must be accepted as is: 1..=32 allowed scalar values, no white space at
/// either end.
fn valid_nickname() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_filter("allowed", |c| !forbidden_in_nickname(*c)),
        1..=NICKNAME_MAX_CHARS,
    )
    .prop_map(|v| v.into_iter().collect::<String>())
    .prop_filter("no white space at the ends", |s: &String| {
        s.trim() == s.as_str()
    })
}

fn valid_drink_id() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9_-]{0,31}"
}

fn is_valid_drink_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
}

fn status() -> impl Strategy<Value = OrderStatus> {
    proptest::sample::select(OrderStatus::ALL.to_vec())
}

/// A feed cursor as the components make them: from a snapshot, then moved past events.
fn feed_cursor() -> impl Strategy<Value = FeedCursor> {
    (
        0u64..=u64::MAX / 2,
        proptest::collection::vec(any::<u64>(), 0..12),
        proptest::option::of((0u64..1_000, 0i64..=i64::MAX)),
    )
        .prop_map(|(xmin, visible, moved)| {
            let list = visible
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let cursor = FeedCursor::from_snapshot(&xmin.to_string(), &list).expect("valid");
            match moved {
                Some((dx, seq)) => cursor
                    .after_event(&(xmin + dx).to_string(), seq)
                    .expect("valid"),
                None => cursor,
            }
        })
}

fn numbers(list: &str) -> Vec<u64> {
    list.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().expect("skip_param holds numbers"))
        .collect()
}

/// Every client-caused error is a 4xx (never a 500) with a problem type.
fn is_client_problem(e: &ApiError) -> bool {
    let p = e.problem();
    (400..500).contains(&p.status) && p.kind.starts_with("/problems/") && !e.is_internal()
}

/// What a statement might answer: any text, or JSON objects of mixed, partly right shapes.
fn statement_json() -> impl Strategy<Value = Option<String>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        proptest::sample::select(vec![
            "placed",
            "changed",
            "replay",
            "locked",
            "sold_out",
            "cancelled",
            "stale",
            "tea",
            "746",
            "",
        ])
        .prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "outcome",
                    "order",
                    "orders",
                    "drinks",
                    "events",
                    "feed_tx",
                    "feed_skip",
                    "id",
                    "status",
                    "version",
                    "tx",
                    "seq",
                    "event",
                    "migration",
                    "purged",
                    "now",
                ])
                .prop_map(str::to_string),
                inner,
                0..6,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::option::of(prop_oneof![
        any::<String>(),
        value.prop_map(|v| v.to_string())
    ])
}

// ---------------------------------------------------------------- domain values

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn nickname_parse_never_panics_and_its_result_keeps_every_promise(raw in any_text()) {
        match Nickname::parse(&raw) {
            Ok(nick) => {
                let s = nick.as_str();
                let n = nickname_length(s);
                prop_assert!((1..=NICKNAME_MAX_CHARS).contains(&n), "{} chars", n);
                prop_assert!(s.chars().count() <= NICKNAME_MAX_SCALARS);
                prop_assert_eq!(s, s.trim());
                prop_assert_eq!(s, raw.trim());
                prop_assert!(!s.chars().any(forbidden_in_nickname));
                // Parsing is idempotent.
                prop_assert_eq!(Nickname::parse(s), Ok(nick.clone()));
            }
            Err(_) => {
                let t = raw.trim();
                prop_assert!(
                    t.is_empty()
                        || t.chars().any(forbidden_in_nickname)
                        || nickname_length(t) > NICKNAME_MAX_CHARS
                        || t.chars().count() > NICKNAME_MAX_SCALARS,
                    "refused {:?}", raw
                );
            }
        }
    }

    #[test]
    fn a_valid_nickname_is_accepted_trimmed_whatever_white_space_surrounds_it(
        name in valid_nickname(),
        before in "[ \t\n\u{3000}\u{00A0}\u{2003}]{0,4}",
        after in "[ \t\n\u{3000}\u{00A0}\u{2003}]{0,4}",
    ) {
        let nick = Nickname::parse(&format!("{before}{name}{after}"));
        prop_assert_eq!(nick.map(|n| n.as_str().to_string()), Ok(name));
    }

    #[test]
    fn a_nickname_longer_than_32_characters_is_refused(
        name in proptest::collection::vec("[a-zé🍹ש]", 33..80)
    ) {
        let name: String = name.concat();
        prop_assert!(Nickname::parse(&name).is_err());
    }

    #[test]
    fn uuid_ids_parse_never_panics_and_print_as_lower_case_hyphenated(raw in any_text()) {
        let parsed = [VisitorId::parse(&raw).map(|v| v.to_hyphenated()),
                      RequestId::parse(&raw).map(|r| r.to_hyphenated())];
        prop_assert_eq!(parsed[0].is_ok(), parsed[1].is_ok());
        for text in parsed.into_iter().flatten() {
            prop_assert_eq!(text.len(), 36);
            prop_assert_eq!(text.to_lowercase(), text.clone());
            prop_assert_ne!(text.as_str(), "00000000-0000-0000-0000-000000000000");
            prop_assert_eq!(VisitorId::parse(&text).map(|v| v.to_hyphenated()), Ok(text));
        }
    }

    #[test]
    fn every_non_nil_uuid_round_trips_in_any_case(bytes in any::<[u8; 16]>(), upper in any::<bool>()) {
        let id = uuid::Uuid::from_bytes(bytes);
        let text = id.hyphenated().to_string();
        let sent = if upper { text.to_uppercase() } else { text.clone() };
        let visitor = VisitorId::parse(&sent);
        let request = RequestId::parse(&sent);
        if id.is_nil() {
            prop_assert!(visitor.is_err() && request.is_err());
        } else {
            prop_assert_eq!(visitor.map(|v| v.to_string()), Ok(text.clone()));
            prop_assert_eq!(request.map(|r| r.to_hyphenated()), Ok(text));
        }
    }

    #[test]
    fn drink_id_is_accepted_exactly_when_it_matches_the_documented_pattern(raw in any_text()) {
        let parsed = DrinkId::parse(&raw);
        prop_assert_eq!(parsed.is_ok(), is_valid_drink_id(&raw), "{:?}", raw);
        if let Ok(id) = parsed {
            prop_assert_eq!(id.as_str(), raw.as_str());
        }
    }

    #[test]
    fn every_drink_id_of_the_pattern_is_accepted(raw in valid_drink_id()) {
        prop_assert_eq!(DrinkId::parse(&raw).map(|d| d.as_str().to_string()), Ok(raw));
    }

    #[test]
    fn order_id_accepts_plain_positive_integers_only(raw in prop_oneof![any_text(), "[+-]?[0-9 ]{0,22}"]) {
        let reference = !raw.is_empty()
            && raw.bytes().all(|b| b.is_ascii_digit())
            && raw.parse::<i64>().is_ok_and(|n| n > 0);
        let parsed = OrderId::parse(&raw);
        prop_assert_eq!(parsed.is_ok(), reference, "{:?}", raw);
        if let Ok(id) = parsed {
            prop_assert!(id.get() > 0);
        }
    }

    #[test]
    fn order_id_round_trips_through_its_decimal_form(n in 1i64..=i64::MAX) {
        prop_assert_eq!(OrderId::parse(&n.to_string()).map(|id| id.get()), Ok(n));
    }

    #[test]
    fn order_status_parses_exactly_its_five_names(raw in prop_oneof![any_text(), "[a-zA-Z]{0,10}"]) {
        let parsed = OrderStatus::parse(&raw);
        let known = ["placed", "preparing", "ready", "served", "cancelled"].contains(&raw.as_str());
        prop_assert_eq!(parsed.is_ok(), known);
        if let Ok(s) = parsed {
            prop_assert_eq!(s.as_str(), raw.as_str());
        }
    }

    #[test]
    fn status_rules_are_consistent(from in status(), to in status()) {
        let allowed = OrderStatus::BAR_MOVES.contains(&(from, to));
        prop_assert_eq!(allowed, OrderStatus::reachable_from(to).contains(&from));
        prop_assert_eq!(from.is_open(), OrderStatus::OPEN.contains(&from));
        if allowed {
            // Only open orders move; nothing moves back to placed; nothing stays.
            prop_assert!(from.is_open());
            prop_assert_ne!(to, OrderStatus::Placed);
            prop_assert_ne!(from, to);
        }
        if !from.is_open() {
            prop_assert!(!allowed, "{} is final", from);
        }
        prop_assert_eq!(OrderStatus::parse(from.as_str()), Ok(from));
        prop_assert_eq!(from.to_string(), from.as_str());
    }

    #[test]
    fn event_kind_parses_exactly_its_names(raw in prop_oneof![any_text(), "[a-z]{0,10}"]) {
        let known = ["placed", "changed", "status", "cancelled", "undone", "drink", "settings", "menu"]
            .contains(&raw.as_str());
        let parsed = serde_json::from_value::<EventKind>(serde_json::Value::from(raw.as_str()));
        prop_assert_eq!(parsed.is_ok(), known);
    }
}

// ---------------------------------------------------------------- cursors

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn feed_cursor_round_trips(cursor in feed_cursor()) {
        let text = cursor.encode();
        prop_assert!(text.bytes().all(|b| BASE64URL.contains(&b)), "{}", text);
        prop_assert_eq!(FeedCursor::decode(&text), Ok(cursor.clone()));
        prop_assert_eq!(cursor.to_string(), text);
    }

    #[test]
    fn feed_cursor_parameters_describe_the_cursor(cursor in feed_cursor()) {
        let tx: u64 = cursor.tx_param().parse().expect("tx is a number");
        let skip = numbers(&cursor.skip_param());
        prop_assert!(skip.len() <= MAX_SKIP);
        prop_assert!(skip.windows(2).all(|w| w[0] < w[1]), "sorted, distinct: {:?}", skip);
        prop_assert!(skip.iter().all(|s| *s > tx), "all above tx {}: {:?}", tx, skip);
        prop_assert!(cursor.seq_param() >= 0);
    }

    #[test]
    fn feed_cursor_decode_never_panics_and_accepts_only_canonical_text(text in prop_oneof![
        any_text(),
        "[A-Za-z0-9_=-]{0,64}",
        proptest::collection::vec(any::<u8>(), 0..80).prop_map(|b| b64(&b)),
    ]) {
        if let Ok(cursor) = FeedCursor::decode(&text) {
            prop_assert_eq!(cursor.encode(), text.clone());
        }
        // Nor does any other parser that takes the same text.
        let _ = PageCursor::decode(&text);
        let _ = FeedQuery::parse(&format!("after={text}"));
        let _ = QueueQuery::parse(&format!("after={text}"));
    }

    #[test]
    fn feed_cursor_records_of_the_wrong_kind_or_length_are_refused(
        kind in any::<u8>(),
        body in proptest::collection::vec(any::<u8>(), 0..60),
    ) {
        let mut bytes = vec![kind];
        bytes.extend(&body);
        let text = b64(&bytes);
        let well_formed_length = bytes.len() >= 17 && (bytes.len() - 17) % 8 == 0;
        if kind != 1 || !well_formed_length {
            prop_assert!(FeedCursor::decode(&text).is_err());
        }
    }

    #[test]
    fn a_changed_character_never_decodes_to_the_same_cursor(
        cursor in feed_cursor(),
        at in any::<proptest::sample::Index>(),
        with in proptest::sample::select(BASE64URL.to_vec()),
    ) {
        let text = cursor.encode();
        let i = at.index(text.len());
        let mut bytes = text.clone().into_bytes();
        prop_assume!(bytes[i] != with);
        bytes[i] = with;
        let changed = String::from_utf8(bytes).expect("ascii");
        if let Ok(other) = FeedCursor::decode(&changed) {
            prop_assert_ne!(&other, &cursor);
            prop_assert_eq!(other.encode(), changed);
        }
    }

    #[test]
    fn from_snapshot_never_panics_and_keeps_only_later_transactions(
        xmin in prop_oneof![any_text(), "[0-9]{1,21}"],
        visible in prop_oneof![any_text(), "([0-9]{1,20},){0,6}[0-9]{0,20}"],
    ) {
        if let Ok(cursor) = FeedCursor::from_snapshot(&xmin, &visible) {
            let tx: u64 = cursor.tx_param().parse().expect("number");
            prop_assert!(xmin.bytes().all(|b| b.is_ascii_digit()), "{:?}", xmin);
            prop_assert_eq!(xmin.parse::<u64>().ok(), Some(tx));
            let skip = numbers(&cursor.skip_param());
            prop_assert!(skip.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(skip.iter().all(|s| *s > tx));
            prop_assert_eq!(FeedCursor::decode(&cursor.encode()), Ok(cursor));
        }
    }

    #[test]
    fn after_event_moves_the_position_and_drops_passed_skips(
        cursor in feed_cursor(),
        dx in 0u64..10,
        seq in 0i64..=i64::MAX,
    ) {
        let tx: u64 = cursor.tx_param().parse().expect("number");
        let moved = cursor.after_event(&(tx + dx).to_string(), seq).expect("valid");
        prop_assert_eq!(moved.tx_param(), (tx + dx).to_string());
        prop_assert_eq!(moved.seq_param(), seq);
        let before = numbers(&cursor.skip_param());
        let after = numbers(&moved.skip_param());
        let expected: Vec<u64> = before.into_iter().filter(|s| *s > tx + dx).collect();
        prop_assert_eq!(after, expected);
        prop_assert!(cursor.after_event(&(tx + dx).to_string(), -1 - (seq % 1000)).is_err());
    }

    #[test]
    fn page_cursor_round_trips(last_id in 1i64..=i64::MAX) {
        let cursor = PageCursor { last_id };
        let text = cursor.encode();
        prop_assert_eq!(PageCursor::decode(&text), Ok(cursor));
        // A page cursor is never a feed cursor.
        prop_assert!(FeedCursor::decode(&text).is_err());
    }

    #[test]
    fn page_cursor_decode_never_panics_and_accepts_only_positive_canonical_ids(text in prop_oneof![
        any_text(),
        "[A-Za-z0-9_-]{0,16}",
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(|b| b64(&b)),
    ]) {
        if let Ok(cursor) = PageCursor::decode(&text) {
            prop_assert!(cursor.last_id > 0);
            prop_assert_eq!(cursor.encode(), text);
        }
    }

    #[test]
    fn a_feed_cursor_is_never_a_page_cursor(cursor in feed_cursor()) {
        prop_assert!(PageCursor::decode(&cursor.encode()).is_err());
    }
}

// ---------------------------------------------------------------- request parsing

fn query_text() -> impl Strategy<Value = String> {
    let key = proptest::sample::select(vec![
        "status", "drink", "include", "after", "limit", "tail", "format", "before", "x", "",
        "%73tatus", "lim%69t",
    ]);
    let value = prop_oneof![
        any_text(),
        "[0-9]{0,4}",
        Just("placed,ready".to_string()),
        Just("closed".to_string()),
        Just("csv".to_string()),
        Just("tea".to_string()),
        Just("%zz".to_string()),
        Just("%ff%fe".to_string()),
        Just("AgAAAAAAAAAB".to_string()),
    ];
    prop_oneof![
        any_text(),
        proptest::collection::vec((key, value), 0..5).prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        }),
    ]
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn query_parsers_never_panic_and_bad_queries_are_client_errors(query in query_text()) {
        if let Err(e) = http::from_query::<Vec<(String, String)>>(&query) { prop_assert!(is_client_problem(&e)); }
        match QueueQuery::parse(&query) {
            Ok(q) => {
                prop_assert!((1..=QUEUE_MAX_LIMIT).contains(&q.limit));
                prop_assert!(!q.statuses.is_empty());
                let mut distinct = q.statuses.clone();
                distinct.dedup();
                prop_assert_eq!(distinct.len(), q.statuses.len());
                prop_assert_eq!(q.fetch_param(), q.limit as i64 + 1);
                prop_assert!(q.after_param() >= 0);
                for part in q.statuses_param().split(',') {
                    prop_assert!(OrderStatus::parse(part).is_ok());
                }
            }
            Err(e) => prop_assert!(is_client_problem(&e)),
        }
        match QueueRequest::parse(&query) {
            Ok(QueueRequest::Page(q)) => prop_assert!((1..=QUEUE_MAX_LIMIT).contains(&q.limit)),
            Ok(QueueRequest::Csv) => prop_assert!(query.contains("csv")),
            Err(e) => prop_assert!(is_client_problem(&e)),
        }
        match FeedQuery::parse(&query) {
            Ok(FeedQuery::After { limit, .. }) => prop_assert!((1..=FEED_MAX_LIMIT).contains(&limit)),
            Ok(FeedQuery::Tail(n)) => prop_assert!((1..=TAIL_MAX).contains(&n)),
            Ok(FeedQuery::Start) => {}
            Err(e) => prop_assert!(is_client_problem(&e)),
        }
        match http::purge_before(&query) {
            Ok(ms) => prop_assert!((0..=http::MAX_EPOCH_MS).contains(&ms)),
            Err(e) => prop_assert!(is_client_problem(&e)),
        }
        if let Err(e) = http::no_parameters(&query) { prop_assert!(is_client_problem(&e)); }
    }

    #[test]
    fn parse_query_decodes_what_was_percent_encoded(
        pairs in proptest::collection::vec(("[a-z]{1,8}", any::<String>()), 0..5)
    ) {
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let decoded = http::from_query::<Vec<(String, String)>>(&query).map_err(|e| e.to_string());
        let expected: Vec<(String, String)> = pairs;
        prop_assert_eq!(decoded, Ok(expected));
    }

    #[test]
    fn queue_limit_is_accepted_exactly_from_1_to_200(n in 0u32..1_000) {
        let parsed = QueueQuery::parse(&format!("limit={n}"));
        prop_assert_eq!(parsed.is_ok(), (1..=200).contains(&n));
        if let Ok(q) = parsed { prop_assert_eq!(q.limit, n as usize); }
    }

    #[test]
    fn a_feed_cursor_in_a_query_comes_back_unchanged(cursor in feed_cursor(), limit in 1usize..=500) {
        let parsed = FeedQuery::parse(&format!("after={}&limit={limit}", cursor.encode()));
        prop_assert_eq!(parsed.map_err(|e| e.to_string()), Ok(FeedQuery::After { cursor, limit }));
    }

    #[test]
    fn a_page_cursor_in_a_query_comes_back_unchanged(last_id in 1i64..=i64::MAX) {
        let parsed = QueueQuery::parse(&format!("after={}", PageCursor { last_id }.encode()));
        prop_assert_eq!(parsed.map(|q| q.after_param()).map_err(|e| e.to_string()), Ok(last_id));
    }

    #[test]
    fn header_and_body_rules_never_panic(
        content_type in proptest::option::of(any_text()),
        length in proptest::option::of(prop_oneof![any_text(), "[0-9]{1,25}"]),
        actual in 0usize..40_000,
        visitor in proptest::option::of(any_text()),
    ) {
        let json = http::require_json(content_type.as_deref());
        let essence = content_type
            .as_deref()
            .and_then(|c| c.split(';').next())
            .map(|e| e.trim().to_ascii_lowercase());
        prop_assert_eq!(json.is_ok(), essence.as_deref() == Some("application/json"));
        let size = http::check_body_size(length.as_deref(), actual);
        if actual > MAX_BODY_BYTES { prop_assert!(size.is_err()); }
        if let Err(e) = size { prop_assert_eq!(e.problem().status, 413); }
        match http::visitor_from_header(visitor.as_deref()) {
            Ok(v) => prop_assert_eq!(Some(v), visitor.as_deref().and_then(|r| VisitorId::parse(r).ok())),
            Err(e) => prop_assert_eq!(e.problem().status, 400),
        }
    }

    #[test]
    fn the_bar_token_check_matches_plain_equality(
        configured in proptest::option::of("[ -~]{0,12}"),
        presented in "[ -~]{0,12}",
        scheme in proptest::sample::select(vec!["Bearer", "bearer", "BEARER", "Basic", "", " Bearer "]),
    ) {
        let header = format!("{scheme} {presented}");
        let result = http::authorize_bar(configured.as_deref(), Some(&header));
        match configured.as_deref() {
            None | Some("") => prop_assert_eq!(result.map_err(|e| e.problem().status), Err(503)),
            Some(token) => {
                // "Bearer <token>": scheme in any case, white space around either ignored.
                let ok = header.trim().split_once(' ').is_some_and(|(s, rest)| {
                    s.eq_ignore_ascii_case("bearer") && rest.trim() == token
                });
                prop_assert_eq!(result.is_ok(), ok, "{:?} vs {:?}", header, token);
                if let Err(e) = result { prop_assert_eq!(e.problem().status, 401); }
            }
        }
        prop_assert!(http::authorize_bar(configured.as_deref(), None).is_err());
    }

    #[test]
    fn a_feed_etag_matches_itself_and_not_another_cursor(a in feed_cursor(), b in feed_cursor(),
                                                         header in proptest::option::of(any_text())) {
        let etag = http::feed_etag(&a.encode());
        prop_assert!(http::etag_matches(Some(&etag), &etag));
        let weak = format!("W/{etag}");
        let listed = format!("\"x\", {etag}");
        prop_assert!(http::etag_matches(Some(&weak), &etag));
        prop_assert!(http::etag_matches(Some(&listed), &etag));
        if a != b {
            prop_assert!(!http::etag_matches(Some(&http::feed_etag(&b.encode())), &etag));
        }
        let _ = http::etag_matches(header.as_deref(), &etag);
    }
}

// ---------------------------------------------------------------- request bodies

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any_text().prop_map(Value::String),
        proptest::sample::select(vec![
            "placed",
            "preparing",
            "ready",
            "served",
            "cancelled",
            "tea",
            "Ana",
            "6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e10",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "visitor_id",
                    "nickname",
                    "drink",
                    "request_id",
                    "status",
                    "version",
                    "available",
                    "stock",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        any_text().prop_map(String::into_bytes),
        json_value().prop_map(|v| v.to_string().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn body_parsers_never_panic_and_refuse_with_a_client_error(body in body_bytes()) {
        match PlaceOrder::from_json(&body) {
            Ok(order) => {
                prop_assert!((1..=NICKNAME_MAX_CHARS).contains(&nickname_length(order.nickname.as_str())));
                prop_assert!(is_valid_drink_id(order.drink.as_str()));
            }
            Err(e) => prop_assert!(is_client_problem(&e), "{:?}", e),
        }
        match StatusChange::from_json(&body) {
            Ok(change) => {
                prop_assert!(change.version >= 1);
                for s in change.from_statuses_param().split(',').filter(|s| !s.is_empty()) {
                    let from = OrderStatus::parse(s).expect("a status");
                    prop_assert!(OrderStatus::BAR_MOVES.contains(&(from, change.status)));
                }
            }
            Err(e) => prop_assert!(is_client_problem(&e), "{:?}", e),
        }
        match DrinkChange::from_json(&body) {
            Ok(change) => {
                prop_assert!(change.available.is_some() || change.stock.is_some());
                prop_assert!(change.stock_param().is_none_or(|n| n >= 0));
                prop_assert_eq!(change.sets_stock_param(), change.stock.is_some());
            }
            Err(e) => prop_assert!(is_client_problem(&e), "{:?}", e),
        }
    }

    #[test]
    fn a_valid_order_body_is_parsed_field_for_field(
        visitor in any::<[u8; 16]>().prop_filter("not nil", |b| b.iter().any(|x| *x != 0)),
        request in any::<[u8; 16]>().prop_filter("not nil", |b| b.iter().any(|x| *x != 0)),
        nickname in valid_nickname(),
        drink in valid_drink_id(),
        extra in any::<bool>(),
    ) {
        let (visitor, request) = (uuid::Uuid::from_bytes(visitor), uuid::Uuid::from_bytes(request));
        let mut body = serde_json::json!({
            "visitor_id": visitor.to_string(), "nickname": nickname, "drink": drink,
            "request_id": request.to_string(),
        });
        if extra { body["unknown"] = serde_json::json!([1, {"a": null}]); }
        let order = PlaceOrder::from_json(body.to_string().as_bytes()).expect("valid body");
        prop_assert_eq!(order.visitor_id.to_hyphenated(), visitor.to_string());
        prop_assert_eq!(order.request_id.to_hyphenated(), request.to_string());
        prop_assert_eq!(order.nickname.as_str(), nickname.as_str());
        prop_assert_eq!(order.drink.as_str(), drink.as_str());
    }

    #[test]
    fn a_status_change_body_round_trips(to in status(), version in 1i32..=i32::MAX) {
        let body = serde_json::json!({"status": to.as_str(), "version": version}).to_string();
        let change = StatusChange::from_json(body.as_bytes()).expect("valid");
        prop_assert_eq!((change.status, change.version), (to, version));
    }

    #[test]
    fn a_status_change_version_outside_1_to_i32_max_is_refused(version in prop_oneof![
        i64::MIN..=0, i64::from(i32::MAX) + 1..=i64::MAX
    ]) {
        let body = serde_json::json!({"status": "ready", "version": version}).to_string();
        let problem = StatusChange::from_json(body.as_bytes()).expect_err("out of range").problem();
        prop_assert_eq!(problem.status, 422);
        prop_assert_eq!(problem.field.as_deref(), Some("version"));
    }

    #[test]
    fn a_drink_change_body_round_trips(available in proptest::option::of(any::<bool>()),
                                       stock in proptest::option::of(proptest::option::of(0i32..=i32::MAX))) {
        prop_assume!(available.is_some() || stock.is_some());
        let mut body = serde_json::Map::new();
        if let Some(a) = available { body.insert("available".into(), a.into()); }
        if let Some(s) = stock { body.insert("stock".into(), s.map_or(serde_json::Value::Null, Into::into)); }
        let change = DrinkChange::from_json(serde_json::Value::Object(body).to_string().as_bytes())
            .expect("valid");
        prop_assert_eq!(change.available_param(), available);
        prop_assert_eq!(change.stock, stock);
    }
}

// ---------------------------------------------------------------- result rows and failures

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// An answer of an unexpected shape is an internal error, never a panic.
    #[test]
    fn shape_decoders_never_panic(json in statement_json(), cursor in feed_cursor(), page in 0usize..60) {
        let json = json.as_deref();
        let results = [
            shapes::place_outcome(json, "tea").err(),
            shapes::cancel_outcome(json).err(),
            shapes::status_outcome(json, OrderStatus::Ready).err(),
            shapes::menu(json).err(),
            shapes::my_orders(json).err(),
            shapes::queue_page(json, page).err(),
            shapes::feed_start(json).err(),
            shapes::feed_page(json, &cursor).err(),
            shapes::stats(json).err(),
            shapes::applied_migration(json).err(),
        ];
        for e in results.into_iter().flatten() {
            // A statement's answer is a domain refusal or a bug, never the client's fault.
            prop_assert!(e.is_internal() || matches!(e, ApiError::Domain(_)), "{:?}", e);
        }
    }

    #[test]
    fn database_failures_are_classified_without_panicking(
        code in prop_oneof![any_text(), "[0-9A-Z]{5}"],
        message in any_text(),
    ) {
        for failure in [
            DbFailure::Connection(message.clone()),
            DbFailure::Query { code: code.clone(), message: message.clone() },
            DbFailure::Other(message.clone()),
        ] {
            let e = failure.final_error();
            let status = e.problem().status;
            prop_assert!(status == 500 || status == 503, "{:?} -> {}", failure, status);
            if status == 503 {
                prop_assert!(e.problem().headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("retry-after")));
            }
        }
        prop_assert_eq!(DbFailure::Connection(message).final_error().problem().status, 503);
    }

    #[test]
    fn folding_never_panics_is_idempotent_and_lower_case(raw in any_text()) {
        let folded = fold(&raw);
        prop_assert_eq!(fold(&folded), folded.clone());
        prop_assert_eq!(folded.to_lowercase(), folded);
    }

    #[test]
    fn refused_words_are_folded_sorted_unique_and_each_a_shown_text(
        words in proptest::collection::vec(any_text(), 0..8),
    ) {
        if let Ok(parsed) = RefusedWords::parse(&words) {
            let list = parsed.as_slice();
            prop_assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted, unique: {:?}", list);
            for word in list {
                prop_assert!(!word.trim().is_empty());
                prop_assert_eq!(&fold(word), word);
            }
        }
    }

    #[test]
    fn if_none_match_never_panics_and_passes_no_comma_inside_a_tag(raw in any_text()) {
        let param = http::if_none_match_param(Some(&raw));
        prop_assert!(param.split(',').all(|tag| !tag.is_empty() || param.is_empty()));
        prop_assert!(!param.contains('"'));
    }
}
