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
//! poll.

use spin_sdk::key_value::Store;

/// The Spin variable: how long (ms) a remembered ETag answers 304 by itself.
pub const TTL_VARIABLE: &str = "poll_cache_ms";

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

    /// The remembered ETag, while it is younger than the TTL.
    pub fn fresh(&self) -> Option<String> {
        let bytes = self.store.as_ref()?.get(&self.key).ok()??;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (at, etag) = text.split_once(' ')?;
        let age = now_ms().checked_sub(at.parse().ok()?)?;
        (age < self.ttl_ms).then(|| etag.to_string())
    }

    /// Remembers `etag` as the view's, as of now.
    pub fn remember(&self, etag: &str) {
        if let Some(store) = &self.store {
            // Best effort: a failed write only means the next poll asks the database.
            let _ = store.set(&self.key, format!("{} {etag}", now_ms()).as_bytes());
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
