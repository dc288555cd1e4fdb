//! `GET /api/stats`: the figures behind the bar page's charts, shaped from the rows of
//! [`crate::sql::STATS`] (see [`crate::shapes::stats`]).

use serde::{Deserialize, Serialize};

use crate::domain::OrderStatus;

/// `per_minute` lists every minute from the first to the last order (0 where none was
/// placed) as long as that span has at most this many minutes (24 h); a longer span lists
/// only the minutes with orders, so the answer stays small.
pub const MAX_FILLED_MINUTES: i64 = 24 * 60;
const MINUTE_MS: i64 = 60_000;

/// Orders per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub placed: i64,
    pub preparing: i64,
    pub ready: i64,
    pub served: i64,
    pub cancelled: i64,
}

impl StatusCounts {
    pub fn add(&mut self, status: OrderStatus, n: i64) {
        let slot = match status {
            OrderStatus::Placed => &mut self.placed,
            OrderStatus::Preparing => &mut self.preparing,
            OrderStatus::Ready => &mut self.ready,
            OrderStatus::Served => &mut self.served,
            OrderStatus::Cancelled => &mut self.cancelled,
        };
        *slot = slot.saturating_add(n);
    }

    pub fn total(&self) -> i64 {
        [
            self.placed,
            self.preparing,
            self.ready,
            self.served,
            self.cancelled,
        ]
        .iter()
        .fold(0i64, |a, b| a.saturating_add(*b))
    }
}

/// Orders of one drink (every drink of the menu is listed, in menu order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrinkStats {
    pub drink: String,
    pub total: i64,
    #[serde(flatten)]
    pub per_status: StatusCounts,
}

/// Orders placed in one minute (`minute` = its start, epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinuteCount {
    pub minute: i64,
    pub orders: i64,
}

/// A wait time: how many orders went through it, median and 90th percentile (ms; null
/// when none did).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitStats {
    pub count: i64,
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waits {
    pub placed_to_ready: WaitStats,
    pub ready_to_served: WaitStats,
}

/// `GET /api/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Epoch ms (the database's clock).
    pub generated_at: i64,
    pub per_status: StatusCounts,
    pub per_drink: Vec<DrinkStats>,
    pub per_minute: Vec<MinuteCount>,
    pub wait: Waits,
}

/// Sorts the minutes with orders and fills the gaps between the first and the last with
/// zeros (see [`MAX_FILLED_MINUTES`]). Minutes given twice are added up.
pub fn per_minute(mut counted: Vec<MinuteCount>) -> Vec<MinuteCount> {
    counted.sort_by_key(|m| m.minute);
    let mut merged: Vec<MinuteCount> = Vec::with_capacity(counted.len());
    for m in counted {
        match merged.last_mut() {
            Some(last) if last.minute == m.minute => {
                last.orders = last.orders.saturating_add(m.orders)
            }
            _ => merged.push(m),
        }
    }
    let (Some(first), Some(last)) = (merged.first(), merged.last()) else {
        return merged;
    };
    let span = (last.minute.saturating_sub(first.minute)) / MINUTE_MS + 1;
    let aligned = merged.iter().all(|m| m.minute.rem_euclid(MINUTE_MS) == 0);
    if span > MAX_FILLED_MINUTES || !aligned {
        return merged;
    }
    let start = first.minute;
    let mut filled = Vec::with_capacity(span as usize);
    let mut given = merged.iter().peekable();
    for i in 0..span {
        let minute = start + i * MINUTE_MS;
        let orders = match given.peek() {
            Some(m) if m.minute == minute => given.next().map_or(0, |m| m.orders),
            _ => 0,
        };
        filled.push(MinuteCount { minute, orders });
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(minute: i64, orders: i64) -> MinuteCount {
        MinuteCount { minute, orders }
    }

    #[test]
    fn minutes_are_sorted_and_gaps_filled_with_zeros() {
        let base = 1_795_240_260_000; // a whole minute
        let out = per_minute(vec![m(base + 3 * MINUTE_MS, 2), m(base, 5)]);
        assert_eq!(
            out,
            vec![
                m(base, 5),
                m(base + MINUTE_MS, 0),
                m(base + 2 * MINUTE_MS, 0),
                m(base + 3 * MINUTE_MS, 2)
            ]
        );
    }

    #[test]
    fn no_orders_means_no_minutes() {
        assert_eq!(per_minute(Vec::new()), Vec::new());
    }

    #[test]
    fn a_span_over_a_day_lists_only_the_minutes_with_orders() {
        let base = 1_795_240_260_000;
        let far = base + MAX_FILLED_MINUTES * MINUTE_MS;
        let out = per_minute(vec![m(far, 1), m(base, 1)]);
        assert_eq!(out, vec![m(base, 1), m(far, 1)]);
        let just = base + (MAX_FILLED_MINUTES - 1) * MINUTE_MS;
        assert_eq!(
            per_minute(vec![m(base, 1), m(just, 1)]).len() as i64,
            MAX_FILLED_MINUTES
        );
    }

    #[test]
    fn duplicate_minutes_are_added_up() {
        assert_eq!(per_minute(vec![m(0, 1), m(0, 2)]), vec![m(0, 3)]);
    }

    #[test]
    fn status_counts_add_up_to_the_total() {
        let mut c = StatusCounts::default();
        c.add(OrderStatus::Placed, 2);
        c.add(OrderStatus::Served, 3);
        c.add(OrderStatus::Placed, 1);
        assert_eq!((c.placed, c.served, c.total()), (3, 3, 6));
    }

    #[test]
    fn drink_stats_json_is_flat() {
        let d = DrinkStats {
            drink: "tea".into(),
            total: 1,
            per_status: StatusCounts {
                ready: 1,
                ..StatusCounts::default()
            },
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"drink": "tea", "total": 1, "placed": 0, "preparing": 0,
                               "ready": 1, "served": 0, "cancelled": 0})
        );
    }
}
