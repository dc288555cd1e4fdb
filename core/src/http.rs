//! Pure request-level rules: content type, body size, bar token, query strings, ETags.
//! (Routes are the components' route tables, on `api_spin::route`.) Components feed these with what the Spin request carries.

use crate::cursor::{FeedCursor, PageCursor};
use crate::domain::{DrinkId, OrderStatus, VisitorId};
use crate::problem::{ApiError, InfraError, RequestError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;

/// Largest request body accepted (413 beyond).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Header that carries the visitor's id on `DELETE /api/orders/{id}` and `GET /api/mine`.
pub const VISITOR_HEADER: &str = "X-Visitor-Id";

/// `/api/mine` returns at most this many orders.
pub const MY_ORDERS_LIMIT: i64 = 50;
pub const QUEUE_DEFAULT_LIMIT: usize = 50;
pub const QUEUE_MAX_LIMIT: usize = 200;
pub const FEED_DEFAULT_LIMIT: usize = 100;
pub const FEED_MAX_LIMIT: usize = 500;
pub const TAIL_MAX: usize = 50;
/// Largest `before` of the purge: 9999-12-31T23:59:59.999Z (PostgreSQL's timestamps end
/// much later, but nothing sensible lies beyond).
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;

/// The body must be declared as JSON (`application/json`, parameters allowed).
pub fn require_json(content_type: Option<&str>) -> Result<(), ApiError> {
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|s| s.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => Ok(()),
        _ => Err(RequestError::UnsupportedMediaType.into()),
    }
}

/// Refuses bodies over [`MAX_BODY_BYTES`], by declared length or by actual length.
pub fn check_body_size(content_length: Option<&str>, actual: usize) -> Result<(), ApiError> {
    check_size(content_length, actual, MAX_BODY_BYTES)
}

/// Refuses bodies over `limit` bytes, by declared length or by actual length.
fn check_size(content_length: Option<&str>, actual: usize, limit: usize) -> Result<(), ApiError> {
    let declared = content_length.and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = |n: u64| n > limit as u64;
    if declared.is_some_and(too_large) || too_large(actual as u64) {
        return Err(RequestError::BodyTooLarge { limit }.into());
    }
    Ok(())
}

/// A request body read with a bound: the reader asks for [`BodyBuffer::wanted`] bytes at a
/// time and stops at the first error, so a body declared (`Content-Length`) over
/// [`MAX_BODY_BYTES`] is refused before anything is read, and any other oversized body after
/// at most `MAX_BODY_BYTES + 1` bytes. The I/O loop is the component glue's; this is the rule.
#[derive(Debug)]
pub struct BodyBuffer {
    bytes: Vec<u8>,
    limit: usize,
}

impl BodyBuffer {
    /// Starts reading a JSON body; 413 when its declared length is already over the limit.
    pub fn new(content_length: Option<&str>) -> Result<Self, ApiError> {
        Self::with_limit(content_length, MAX_BODY_BYTES)
    }

    /// Starts reading a body of at most `limit` bytes (a picture's limit is larger).
    pub fn with_limit(content_length: Option<&str>, limit: usize) -> Result<Self, ApiError> {
        check_size(content_length, 0, limit)?;
        Ok(Self {
            bytes: Vec::new(),
            limit,
        })
    }

    /// How many bytes to ask for next: one more than still fits, so that reaching the limit
    /// and going past it are told apart without reading further.
    pub fn wanted(&self) -> u64 {
        (self.limit + 1).saturating_sub(self.bytes.len()).max(1) as u64
    }

    /// Adds what was read; 413 (and nothing kept) once the body is over the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        let total = self.bytes.len().saturating_add(chunk.len());
        check_size(None, total, self.limit)?;
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body (the stream ended within the limit).
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// The visitor id from its header.
pub fn visitor_from_header(value: Option<&str>) -> Result<VisitorId, ApiError> {
    let raw = value.ok_or(RequestError::MissingHeader {
        header: VISITOR_HEADER,
    })?;
    let visitor = VisitorId::parse(raw).map_err(|reason| RequestError::InvalidHeader {
        header: VISITOR_HEADER,
        reason,
    })?;
    Ok(visitor)
}

/// Checks `Authorization: Bearer <token>` against the configured bar token, in constant
/// time. An empty or missing configuration refuses every request (never open by default).
pub fn authorize_bar(
    configured: Option<&str>,
    authorization: Option<&str>,
) -> Result<(), ApiError> {
    let expected = match configured {
        Some(t) if !t.is_empty() => t,
        _ => return Err(InfraError::BarTokenNotConfigured.into()),
    };
    let presented = authorization
        .and_then(|h| {
            let h = h.trim();
            let (scheme, rest) = h.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or(RequestError::Unauthorized)?;
    // Constant time in the contents; only the lengths may show.
    if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(RequestError::Unauthorized.into())
    }
}

/// Whether an `If-None-Match` header matches our (strong) ETag.
pub fn etag_matches(if_none_match: Option<&str>, etag: &str) -> bool {
    let Some(header) = if_none_match else {
        return false;
    };
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// `GET /api/board` shows at most this many orders per column (waiting, ready).
pub const BOARD_COLUMN_MAX: i64 = 100;

/// The public ticker's lines (`GET /api/visit`): the newest orders placed or changed.
pub const TICKER_LINES: i64 = 10;

/// The guest's wait estimate (`GET /api/visit`) is the median wait, placed to ready, of the
/// orders that became ready in the last 30 minutes: at most the newest 50 of them, and none
/// with fewer than 5 (too little to say anything).
pub const RECENT_WAIT_WINDOW_MS: i64 = 30 * 60 * 1000;
pub const RECENT_WAIT_SAMPLES_MAX: i64 = 50;
pub const RECENT_WAIT_SAMPLES_MIN: i64 = 5;

/// The entity tags an `If-None-Match` header lists, without quotes or `W/`, as
/// [`crate::sql::BOARD`] takes them (comma-separated; `*` stays `*`); '' for none. A tag
/// with a comma (never one of ours) is left out; parsing stops at the first malformed one.
pub fn if_none_match_param(if_none_match: Option<&str>) -> String {
    let Some(mut rest) = if_none_match else {
        return String::new();
    };
    let mut tags = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix('*') {
            tags.push("*");
            rest = after;
            continue;
        }
        let quoted = rest.strip_prefix("W/").unwrap_or(rest);
        let Some((tag, after)) = quoted
            .strip_prefix('"')
            .and_then(|inner| inner.split_once('"'))
        else {
            break;
        };
        // `"*"` is a quoted tag, not the wildcard (and never one of ours): left out too.
        if !tag.is_empty() && !tag.contains(',') && tag != "*" {
            tags.push(tag);
        }
        rest = after;
    }
    tags.join(",")
}

/// The strong ETag of a feed position.
pub fn feed_etag(next: &str) -> String {
    format!("\"{next}\"")
}

/// Decodes a query string into its parameter type (`#[serde(deny_unknown_fields)]`, every
/// field an `Option<String>`), with serde_urlencoded. Refused with a 400 naming the
/// parameter: malformed `%` escapes or UTF-8 (which the form decoder would let through
/// lossily), an empty name (`?=x`), an unknown name, a name given twice (ambiguous).
pub fn from_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k.is_empty() {
            return Err(RequestError::EmptyParameterName.into());
        }
        let key = form_decode(k).ok_or_else(|| bad_param("query", "not valid URL encoding"))?;
        form_decode(v).ok_or_else(|| bad_param(&key, "not valid URL encoding"))?;
    }
    serde_urlencoded::from_str(query).map_err(|e| {
        let message = e.to_string();
        if let Some(name) = crate::api::between(&message, "unknown field `", "`") {
            bad_param(name, "unknown parameter")
        } else if let Some(name) = crate::api::between(&message, "duplicate field `", "`") {
            bad_param(name, "given more than once")
        } else {
            bad_param("query", &message)
        }
    })
}

/// A form-encoded name or value, decoded; `None` for a `%` not followed by two hex digits
/// or bytes that are not UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let escapes_ok = s
        .split('%')
        .skip(1)
        .all(|rest| rest.len() >= 2 && rest.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit));
    if !escapes_ok {
        return None;
    }
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

fn bad_param(field: &str, reason: &str) -> ApiError {
    ApiError::Request(RequestError::InvalidParameter {
        field: field.to_owned(),
        reason: reason.to_owned(),
    })
}

/// A `limit`-like parameter: plain digits from 1 to `max`, `default` when absent.
fn limit(raw: Option<&str>, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match raw {
        None => Ok(default),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(bad_param(
                name,
                &format!("must be an integer from 1 to {max}"),
            )),
        },
    }
}

/// The parameters of `GET /api/queue`, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueParams {
    status: Option<String>,
    drink: Option<String>,
    include: Option<String>,
    after: Option<String>,
    limit: Option<String>,
    format: Option<String>,
    order: Option<String>,
    q: Option<String>,
}

/// `GET /api/queue` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueQuery {
    pub statuses: Vec<OrderStatus>,
    pub drink: Option<DrinkId>,
    pub after: Option<PageCursor>,
    pub limit: usize,
    /// `?order=newest`: newest first (the bar's "Done" list); default oldest first.
    pub newest_first: bool,
    /// `?q=`: only orders whose number is this text or whose nickname contains it
    /// (ignoring case); trimmed, a leading `#` dropped; '' = no search.
    pub q: String,
}

/// The longest search text `?q=` takes, in Unicode scalar values (a nickname's length).
pub const QUEUE_SEARCH_MAX_CHARS: usize = crate::domain::NICKNAME_MAX_CHARS;

/// `?q=` of `GET /api/queue`: 1 to [`QUEUE_SEARCH_MAX_CHARS`] characters as sent, no
/// control characters; trimmed and without a leading `#` (so "#42" finds number 42).
fn search_text(raw: Option<&str>) -> Result<String, ApiError> {
    let Some(raw) = raw else {
        return Ok(String::new());
    };
    let count = raw.chars().count();
    if count == 0 || count > QUEUE_SEARCH_MAX_CHARS {
        return Err(bad_param(
            "q",
            &format!("must be 1 to {QUEUE_SEARCH_MAX_CHARS} characters"),
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(bad_param("q", "must not contain control characters"));
    }
    let text = raw.trim();
    Ok(text.strip_prefix('#').unwrap_or(text).trim().to_owned())
}

impl QueueQuery {
    /// `?status=a,b` (default: the open statuses; `?include=closed` adds served and
    /// cancelled), `?drink=`, `?after=` (page cursor), `?limit=` (1–200, default 50).
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let p: QueueParams = from_query(query)?;
        if p.format.is_some() {
            return Err(bad_param("format", "unknown parameter"));
        }
        Self::from_params(&p)
    }

    fn from_params(p: &QueueParams) -> Result<Self, ApiError> {
        let include_closed = match p.include.as_deref() {
            None => false,
            Some("closed") => true,
            Some(_) => return Err(bad_param("include", "must be \"closed\"")),
        };
        let statuses = match p.status.as_deref() {
            Some(list) => {
                let mut out = Vec::new();
                for part in list.split(',') {
                    let s = OrderStatus::parse(part.trim())
                        .map_err(|e| bad_param("status", &e.to_string()))?;
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
                out
            }
            None if include_closed => OrderStatus::ALL.to_vec(),
            None => OrderStatus::OPEN.to_vec(),
        };
        let drink = p
            .drink
            .as_deref()
            .map(|d| DrinkId::parse(d).map_err(|e| bad_param("drink", &e.to_string())))
            .transpose()?;
        let after = p
            .after
            .as_deref()
            .map(|a| PageCursor::decode(a).map_err(|_| bad_param("after", "not a valid cursor")))
            .transpose()?;
        let limit = limit(
            p.limit.as_deref(),
            "limit",
            QUEUE_DEFAULT_LIMIT,
            QUEUE_MAX_LIMIT,
        )?;
        let newest_first = match p.order.as_deref() {
            None | Some("oldest") => false,
            Some("newest") => true,
            Some(_) => return Err(bad_param("order", "must be \"oldest\" or \"newest\"")),
        };
        let q = search_text(p.q.as_deref())?;
        Ok(Self {
            statuses,
            drink,
            after,
            limit,
            newest_first,
            q,
        })
    }

    /// `$1` of `QUEUE`.
    pub fn statuses_param(&self) -> String {
        self.statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `$2` of `QUEUE` ('' = every drink).
    pub fn drink_param(&self) -> String {
        self.drink
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default()
    }

    /// `$3` of `QUEUE`.
    pub fn after_param(&self) -> i64 {
        self.after.map(|c| c.last_id).unwrap_or(0)
    }

    /// `$4` of `QUEUE`: one more than the page, to learn whether a next page exists.
    pub fn fetch_param(&self) -> i64 {
        self.limit as i64 + 1
    }

    /// `$5` of `QUEUE`: newest first.
    pub fn newest_param(&self) -> bool {
        self.newest_first
    }

    /// `$6` of `QUEUE`: the search text ('' = none).
    pub fn q_param(&self) -> String {
        self.q.clone()
    }
}

/// What `GET /api/queue` asks for: a JSON page, or every order as CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueRequest {
    Page(QueueQuery),
    /// `?format=csv`: every order of the event, oldest first; takes no other parameter.
    Csv,
}

impl QueueRequest {
    /// `?format=json` (the default) or `?format=csv`; the JSON form takes the parameters of
    /// [`QueueQuery::parse`], the CSV form none.
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let p: QueueParams = from_query(query)?;
        match p.format.as_deref() {
            None | Some("json") => QueueQuery::from_params(&p).map(QueueRequest::Page),
            Some("csv") => {
                let others = [
                    ("status", &p.status),
                    ("drink", &p.drink),
                    ("include", &p.include),
                    ("after", &p.after),
                    ("limit", &p.limit),
                    ("order", &p.order),
                    ("q", &p.q),
                ];
                // The first other parameter as sent, so the problem names it.
                let first = query
                    .split('&')
                    .filter_map(|pair| pair.split('=').next())
                    .find(|name| others.iter().any(|(n, v)| n == name && v.is_some()));
                match first {
                    Some(other) => Err(bad_param(other, "cannot be combined with format=csv")),
                    None => Ok(QueueRequest::Csv),
                }
            }
            Some(_) => Err(bad_param("format", "must be \"json\" or \"csv\"")),
        }
    }
}

/// `DELETE /api/orders?before=<epoch ms>`: the cut-off of the purge (required).
pub fn purge_before(query: &str) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct PurgeParams {
        before: Option<String>,
    }
    let p: PurgeParams = from_query(query)?;
    let raw = p
        .before
        .ok_or_else(|| bad_param("before", "is required (epoch milliseconds)"))?;
    match raw.parse::<i64>() {
        Ok(ms) if raw.bytes().all(|b| b.is_ascii_digit()) && ms <= MAX_EPOCH_MS => Ok(ms),
        _ => Err(bad_param(
            "before",
            &format!("must be epoch milliseconds from 0 to {MAX_EPOCH_MS}"),
        )),
    }
}

/// Refuses any query parameter (for endpoints that take none).
pub fn no_parameters(query: &str) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoParams {}
    from_query::<NoParams>(query).map(|_| ())
}

/// `GET /api/feed` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedQuery {
    /// No cursor: answer the current position, no events.
    Start,
    /// Events after the cursor.
    After { cursor: FeedCursor, limit: usize },
    /// The last `n` events (public ticker).
    Tail(usize),
}

impl FeedQuery {
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct FeedParams {
            after: Option<String>,
            limit: Option<String>,
            tail: Option<String>,
        }
        let p: FeedParams = from_query(query)?;
        match (p.after.as_deref(), p.tail.as_deref()) {
            (Some(_), Some(_)) => Err(bad_param("tail", "cannot be combined with after")),
            (Some(after), None) => Ok(FeedQuery::After {
                cursor: FeedCursor::decode(after)?,
                limit: limit(
                    p.limit.as_deref(),
                    "limit",
                    FEED_DEFAULT_LIMIT,
                    FEED_MAX_LIMIT,
                )?,
            }),
            (None, Some(_)) => {
                if p.limit.is_some() {
                    return Err(bad_param("limit", "cannot be combined with tail"));
                }
                Ok(FeedQuery::Tail(limit(
                    p.tail.as_deref(),
                    "tail",
                    10,
                    TAIL_MAX,
                )?))
            }
            (None, None) => {
                if p.limit.is_some() {
                    return Err(bad_param("limit", "only allowed with after"));
                }
                Ok(FeedQuery::Start)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entity_tags_of_if_none_match_go_to_the_board_statement_unquoted() {
        assert_eq!(if_none_match_param(None), "");
        assert_eq!(if_none_match_param(Some(r#""b12.34""#)), "b12.34");
        // A quoted "*" is an entity tag, not the wildcard: it matches nothing of ours.
        assert_eq!(if_none_match_param(Some(r#"W/"*""#)), "");
        assert!(!etag_matches(Some(r#"W/"*""#), r#""b12.34""#));
        assert_eq!(
            if_none_match_param(Some(r#"W/"b1.2", "b3.4" ,*"#)),
            "b1.2,b3.4,*"
        );
        assert_eq!(
            if_none_match_param(Some(r#""a,b", """#)),
            "",
            "no tag splits"
        );
    }

    #[test]
    fn json_content_type_is_required_for_bodies() {
        assert!(require_json(Some("application/json")).is_ok());
        assert!(require_json(Some("Application/JSON; charset=utf-8")).is_ok());
        for bad in [
            None,
            Some(""),
            Some("text/plain"),
            Some("application/jsonp"),
            Some("application/x-www-form-urlencoded"),
        ] {
            assert!(
                matches!(
                    require_json(bad),
                    Err(ApiError::Request(RequestError::UnsupportedMediaType))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn body_of_16_kib_is_accepted_and_one_byte_more_is_413() {
        assert!(check_body_size(None, MAX_BODY_BYTES).is_ok());
        assert!(matches!(
            check_body_size(None, MAX_BODY_BYTES + 1),
            Err(ApiError::Request(RequestError::BodyTooLarge { .. }))
        ));
        assert!(check_body_size(Some("999999999"), 10).is_err());
        assert!(check_body_size(Some("garbage"), 10).is_ok());
    }

    /// Feeds `chunks` the way the glue does; the error, or the body.
    fn read(declared: Option<&str>, chunks: &[usize]) -> Result<Vec<u8>, ApiError> {
        let mut body = BodyBuffer::new(declared)?;
        for &n in chunks {
            assert!(body.wanted() >= 1);
            body.push(&vec![b' '; n])?;
        }
        Ok(body.into_bytes())
    }

    #[test]
    fn a_body_is_read_up_to_16_kib_and_refused_one_byte_later() {
        let fresh = BodyBuffer::new(None).unwrap();
        assert_eq!(fresh.wanted(), MAX_BODY_BYTES as u64 + 1);
        assert_eq!(read(None, &[]).unwrap().len(), 0);
        assert_eq!(read(None, &[10, 20]).unwrap().len(), 30);
        assert_eq!(read(None, &[MAX_BODY_BYTES]).unwrap().len(), MAX_BODY_BYTES);
        assert_eq!(
            read(None, &[MAX_BODY_BYTES - 1, 1]).unwrap().len(),
            MAX_BODY_BYTES
        );
        let mut full = BodyBuffer::new(None).unwrap();
        full.push(&[b'x'; MAX_BODY_BYTES]).unwrap();
        assert_eq!(full.wanted(), 1, "asks for the one byte that tells");
        for chunks in [&[MAX_BODY_BYTES + 1][..], &[MAX_BODY_BYTES, 1], &[1 << 20]] {
            assert!(matches!(
                read(None, chunks),
                Err(ApiError::Request(RequestError::BodyTooLarge { .. }))
            ));
        }
    }

    #[test]
    fn a_declared_length_over_16_kib_is_refused_before_reading() {
        assert!(matches!(
            BodyBuffer::new(Some("16385")),
            Err(ApiError::Request(RequestError::BodyTooLarge { .. }))
        ));
        assert!(BodyBuffer::new(Some("314572800")).is_err());
        assert!(BodyBuffer::new(Some("16384")).is_ok());
        // An unparsable length is the host's business; the bound still holds while reading.
        assert!(read(Some("lots"), &[MAX_BODY_BYTES + 1]).is_err());
    }

    #[test]
    fn visitor_header_is_required_and_must_be_a_uuid() {
        assert!(matches!(
            visitor_from_header(None),
            Err(ApiError::Request(RequestError::MissingHeader { .. }))
        ));
        let e = visitor_from_header(Some("nope")).unwrap_err();
        assert_eq!(e.problem().field.as_deref(), Some("X-Visitor-Id"));
        assert!(visitor_from_header(Some("6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e10")).is_ok());
    }

    #[test]
    fn bar_token_must_match_exactly() {
        let t = Some("s3cret");
        assert!(authorize_bar(t, Some("Bearer s3cret")).is_ok());
        assert!(authorize_bar(t, Some("bearer s3cret")).is_ok());
        for bad in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer s3cre"),
            Some("Bearer s3crett"),
            Some("Basic s3cret"),
            Some("s3cret"),
        ] {
            assert!(
                matches!(
                    authorize_bar(t, bad),
                    Err(ApiError::Request(RequestError::Unauthorized))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bar_endpoints_refuse_when_no_token_is_configured() {
        assert!(matches!(
            authorize_bar(None, Some("Bearer x")),
            Err(ApiError::Infra(InfraError::BarTokenNotConfigured))
        ));
        assert!(matches!(
            authorize_bar(Some(""), Some("Bearer ")),
            Err(ApiError::Infra(InfraError::BarTokenNotConfigured))
        ));
    }

    #[test]
    fn etag_matching_follows_if_none_match_rules() {
        let etag = feed_etag("AQ");
        assert!(etag_matches(Some("\"AQ\""), &etag));
        assert!(etag_matches(Some("W/\"AQ\""), &etag));
        assert!(etag_matches(Some("\"x\", \"AQ\""), &etag));
        assert!(etag_matches(Some("*"), &etag));
        assert!(!etag_matches(Some("\"AB\""), &etag));
        assert!(!etag_matches(None, &etag));
    }

    #[test]
    fn query_strings_are_percent_decoded() {
        let q = from_query::<Vec<(String, String)>>("a=x%2Cy&b=two+words&c").unwrap();
        assert_eq!(
            q,
            vec![
                ("a".into(), "x,y".into()),
                ("b".into(), "two words".into()),
                ("c".into(), "".into())
            ]
        );
        assert!(from_query::<Vec<(String, String)>>("a=%zz").is_err());
        assert!(from_query::<Vec<(String, String)>>("a=%e2%28").is_err());
        assert!(from_query::<Vec<(String, String)>>("a=%4").is_err());
    }

    #[test]
    fn a_parameter_with_an_empty_name_says_so() {
        for query in ["=x", "a=1&=x", "=", "=%zz"] {
            let p = from_query::<Vec<(String, String)>>(query)
                .unwrap_err()
                .problem();
            assert_eq!(p.status, 400, "{query}");
            assert_eq!(p.kind, "/problems/invalid-parameter", "{query}");
            assert_eq!(p.field.as_deref(), Some(""), "{query}");
            assert_eq!(p.detail, "a query parameter has an empty name", "{query}");
        }
        assert!(matches!(
            FeedQuery::parse("=x"),
            Err(ApiError::Request(RequestError::EmptyParameterName))
        ));
        assert!(matches!(
            no_parameters("&&=1"),
            Err(ApiError::Request(RequestError::EmptyParameterName))
        ));
        // Empty pairs are not parameters.
        assert_eq!(
            from_query::<Vec<(String, String)>>("&&a=1&").unwrap().len(),
            1
        );
    }

    #[test]
    fn queue_defaults_to_open_orders() {
        let q = QueueQuery::parse("").unwrap();
        assert_eq!(q.statuses_param(), "placed,preparing,ready");
        assert_eq!(q.drink_param(), "");
        assert_eq!(q.after_param(), 0);
        assert_eq!(q.limit, QUEUE_DEFAULT_LIMIT);
        assert_eq!(q.fetch_param(), 51);
    }

    #[test]
    fn queue_filters_are_parsed() {
        let after = PageCursor { last_id: 9 }.encode();
        let q = QueueQuery::parse(&format!(
            "status=ready,placed&drink=tea&after={after}&limit=5"
        ))
        .unwrap();
        assert_eq!(q.statuses_param(), "ready,placed");
        assert_eq!(q.drink_param(), "tea");
        assert_eq!(q.after_param(), 9);
        assert_eq!(q.limit, 5);
        assert_eq!(
            QueueQuery::parse("include=closed").unwrap().statuses.len(),
            5
        );
    }

    #[test]
    fn the_done_list_asks_newest_first_and_searches_a_trimmed_text() {
        let q = QueueQuery::parse("status=served,cancelled&order=newest&q=%20%2342%20").unwrap();
        assert!(q.newest_param());
        assert_eq!(q.q_param(), "42");
        let q = QueueQuery::parse("order=oldest&q=An").unwrap();
        assert!(!q.newest_param());
        assert_eq!(q.q_param(), "An");
        assert_eq!(QueueQuery::parse("").unwrap().q_param(), "");
        for (query, field) in [
            ("order=new", "order"),
            ("q=", "q"),
            ("q=a%01", "q"),
            (
                &format!("q={}", "a".repeat(QUEUE_SEARCH_MAX_CHARS + 1)) as &str,
                "q",
            ),
        ] {
            let e = QueueQuery::parse(query).unwrap_err();
            assert_eq!(e.problem().field.as_deref(), Some(field), "{query}");
        }
    }

    #[test]
    fn bad_queue_parameters_name_the_parameter() {
        let cases = [
            ("status=delivered", "status"),
            ("status=", "status"),
            ("drink=Tea", "drink"),
            ("include=all", "include"),
            ("after=xyz", "after"),
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("limit=-1", "limit"),
            ("limit=+5", "limit"),
            ("limit=1&limit=2", "limit"),
            ("colour=red", "colour"),
        ];
        for (q, field) in cases {
            let e = QueueQuery::parse(q).unwrap_err();
            let p = e.problem();
            assert_eq!(p.status, 400, "{q}");
            assert_eq!(p.field.as_deref(), Some(field), "{q}");
        }
    }

    #[test]
    fn feed_query_modes() {
        assert_eq!(FeedQuery::parse("").unwrap(), FeedQuery::Start);
        assert_eq!(FeedQuery::parse("tail=10").unwrap(), FeedQuery::Tail(10));
        let c = FeedCursor::beginning().encode();
        assert_eq!(
            FeedQuery::parse(&format!("after={c}&limit=3")).unwrap(),
            FeedQuery::After {
                cursor: FeedCursor::beginning(),
                limit: 3
            }
        );
    }

    #[test]
    fn bad_feed_parameters_are_400() {
        let c = FeedCursor::beginning().encode();
        for q in [
            "after=".to_string(),
            "after=%%%".to_string(),
            "after=AAAA".to_string(),
            format!("after={c}&tail=3"),
            "tail=0".to_string(),
            "tail=51".to_string(),
            "limit=5".to_string(),
            format!("after={c}&limit=501"),
        ] {
            assert_eq!(
                FeedQuery::parse(&q).unwrap_err().problem().status,
                400,
                "{q}"
            );
        }
    }

    #[test]
    fn queue_request_is_json_by_default_and_csv_on_request() {
        assert_eq!(
            QueueRequest::parse("").unwrap(),
            QueueRequest::Page(QueueQuery::parse("").unwrap())
        );
        assert_eq!(
            QueueRequest::parse("format=json&limit=5").unwrap(),
            QueueRequest::Page(QueueQuery::parse("limit=5").unwrap())
        );
        assert_eq!(
            QueueRequest::parse("format=csv").unwrap(),
            QueueRequest::Csv
        );
    }

    #[test]
    fn bad_queue_formats_name_the_parameter() {
        for (q, field) in [
            ("format=xml", "format"),
            ("format=csv&format=csv", "format"),
            ("format=csv&status=ready", "status"),
            ("format=json&colour=red", "colour"),
        ] {
            let p = QueueRequest::parse(q).unwrap_err().problem();
            assert_eq!(p.status, 400, "{q}");
            assert_eq!(p.field.as_deref(), Some(field), "{q}");
        }
    }

    #[test]
    fn purge_needs_a_before_in_epoch_milliseconds() {
        assert_eq!(
            purge_before("before=1795240300927").unwrap(),
            1_795_240_300_927
        );
        assert_eq!(purge_before("before=0").unwrap(), 0);
        for bad in [
            "",
            "before=",
            "before=-1",
            "before=+5",
            "before=1.5",
            "before=2026-11-21",
            "before=253402300800000",
            "before=1&before=2",
            "after=1",
        ] {
            let p = purge_before(bad).unwrap_err().problem();
            assert_eq!(p.status, 400, "{bad}");
            assert!(p.field.is_some(), "{bad}");
        }
    }

    #[test]
    fn endpoints_without_parameters_refuse_any() {
        assert!(no_parameters("").is_ok());
        assert!(no_parameters("x=1").is_err());
    }
}
