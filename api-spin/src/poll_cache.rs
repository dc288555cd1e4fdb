//! A poll with nothing new, answered without PostgreSQL (issue 16): each replica remembers in
//! Spin's key-value store (`default`: per process, in memory per pod on SpinKube) the last
//! ETag a snapshot view's statement answered and when. A request whose `If-None-Match` holds
//! that ETag within `poll_cache_ms` (Spin variable; 0 or unset = off) of that moment gets its
//! 304 at once, so a view is at most that stale; anything else asks the database, and the
//! ETag it answers is remembered. The store failing only costs the shortcut, never the
//! answer.
//!
//! Most phones poll the same state: while nothing happens they all hold the newest ETag,
//! and a replica asks the database about it once per `poll_cache_ms` instead of once per
//! poll. A view that is the same for every client (the board, the guests' view without a
//! visitor) is remembered with its body too, so that within `poll_cache_ms` a replica
//! answers it, 200 or 304, without the database even while things change.

use spin_sdk::key_value::Store;

/// The Spin variable: how long (ms) a remembered ETag answers 304 by itself.
pub const TTL_VARIABLE: &str = "poll_cache_ms";

/// What a replica remembers of a view: its ETag and, for a view shared by every client,
/// its body.
pub struct Remembered {
    pub etag: String,
    pub body: Option<Vec<u8>>,
}

/// The cache of one view (e.g. `visit`, `board`), for one request.
pub struct PollCache {
    key: String,
    ttl_ms: u64,
    store: Option<Store>,
}

impl PollCache {
    /// `view`: the view's name (its key in the store). Off when the variable is 0, unset or
    /// not a number, or when the store cannot be opened.
    pub fn new(view: &str) -> Self {
        let ttl_ms = crate::request::variable(TTL_VARIABLE)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let store = if ttl_ms > 0 {
            Store::open_default().ok()
        } else {
            None
        };
        Self {
            key: format!("poll-cache/{view}"),
            ttl_ms,
            store,
        }
    }

    /// What was remembered, while it is younger than the TTL. Stored as
    /// `<epoch ms> <etag>\n<body>` (no body: nothing after the newline).
    pub fn fresh(&self) -> Option<Remembered> {
        let bytes = self.store.as_ref()?.get(&self.key).ok()??;
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let head = std::str::from_utf8(&bytes[..newline]).ok()?;
        let (at, etag) = head.split_once(' ')?;
        let age = now_ms().checked_sub(at.parse().ok()?)?;
        let body = &bytes[newline + 1..];
        (age < self.ttl_ms).then(|| Remembered {
            etag: etag.to_string(),
            body: (!body.is_empty()).then(|| body.to_vec()),
        })
    }

    /// Remembers `etag` (and a shared view's `body`) as the view's, as of now.
    pub fn remember(&self, etag: &str, body: Option<&[u8]>) {
        if let Some(store) = &self.store {
            let mut value = format!("{} {etag}\n", now_ms()).into_bytes();
            value.extend_from_slice(body.unwrap_or_default());
            // Best effort: a failed write only means the next poll asks the database.
            let _ = store.set(&self.key, &value);
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
