//! The CSV export of `GET /api/queue?format=csv`: RFC 4180 text that is safe to open in a
//! spreadsheet.
//!
//! - Records end with CRLF; a field is quoted when it contains a comma, a double quote, CR or
//!   LF, and double quotes inside it are doubled.
//! - Formula injection: a text cell that starts with `=`, `+`, `-`, `@`, TAB or CR would be
//!   run as a formula by spreadsheet programs; such a cell gets a leading `'` (then quoting
//!   applies as usual). Numbers and times are written by us and never need it.
//! - Times are ISO 8601 in UTC with milliseconds (`2026-11-21T18:03:12.345Z`), empty when the
//!   order never reached that status.

use crate::api::Order;

/// The content type of the export.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
/// The download's `Content-Disposition`.
pub const CSV_DISPOSITION: &str = "attachment; filename=\"orders.csv\"";

/// The header record, in column order.
pub const ORDER_CSV_HEADER: [&str; 13] = [
    "id",
    "number",
    "nickname",
    "drink",
    "status",
    "version",
    "created_at",
    "updated_at",
    "placed_at",
    "preparing_at",
    "ready_at",
    "served_at",
    "cancelled_at",
];

/// Every order as one CSV document (header first, one record per order, CRLF endings).
pub fn orders_csv(orders: &[Order]) -> String {
    let mut out = String::with_capacity(128 * (orders.len() + 1));
    let mut record = Record::new(&mut out);
    for name in ORDER_CSV_HEADER {
        record.text(name);
    }
    record.end();
    for o in orders {
        let mut record = Record::new(&mut out);
        record.number(o.id);
        record.number(i64::from(o.number));
        record.text(&o.nickname);
        record.text(&o.drink);
        record.text(o.status.as_str());
        record.number(i64::from(o.version));
        record.time(Some(o.created_at));
        record.time(Some(o.updated_at));
        record.time(Some(o.placed_at));
        record.time(o.preparing_at);
        record.time(o.ready_at);
        record.time(o.served_at);
        record.time(o.cancelled_at);
        record.end();
    }
    out
}

/// Writes the fields of one record, separated by commas.
struct Record<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Record<'a> {
    fn new(out: &'a mut String) -> Self {
        Self { out, first: true }
    }

    fn separator(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    fn text(&mut self, value: &str) {
        self.separator();
        push_text_field(self.out, value);
    }

    fn number(&mut self, value: i64) {
        self.separator();
        self.out.push_str(&value.to_string());
    }

    fn time(&mut self, ms: Option<i64>) {
        self.separator();
        if let Some(ms) = ms {
            self.out.push_str(&iso8601_utc(ms));
        }
    }

    fn end(self) {
        self.out.push_str("\r\n");
    }
}

/// Whether a spreadsheet would take a cell with this text for a formula (OWASP's list:
/// `=`, `+`, `-`, `@`, TAB, CR at the start).
pub fn looks_like_formula(value: &str) -> bool {
    matches!(
        value.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// Appends one text field: defused if it looks like a formula, quoted if it needs to be.
pub fn push_text_field(out: &mut String, value: &str) {
    let guard = looks_like_formula(value);
    let quote = value.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if guard {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

const MS_PER_DAY: i64 = 86_400_000;
/// The Gregorian calendar repeats every 400 years, which are exactly this many days.
const DAYS_PER_400_YEARS: i64 = 146_097;

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_year(year: i64) -> i64 {
    if is_leap(year) { 366 } else { 365 }
}

fn days_in_month(year: i64, month: usize) -> i64 {
    const DAYS: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if month == 1 && is_leap(year) {
        29
    } else {
        DAYS.get(month).copied().unwrap_or(31)
    }
}

/// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC). Works for any `i64` without
/// panicking; times before 1970 count backwards.
pub fn iso8601_utc(ms: i64) -> String {
    let mut days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    // Whole 400-year cycles first, so the year loop below runs at most 400 times.
    let mut year = 1970 + 400 * days.div_euclid(DAYS_PER_400_YEARS);
    days = days.rem_euclid(DAYS_PER_400_YEARS);
    while days >= days_in_year(year) {
        days -= days_in_year(year);
        year += 1;
    }
    let mut month = 0;
    while month < 11 && days >= days_in_month(year, month) {
        days -= days_in_month(year, month);
        month += 1;
    }
    let (hours, rest) = (in_day / 3_600_000, in_day % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    format!(
        "{year:04}-{:02}-{:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z",
        month + 1,
        days + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrderStatus;

    fn field(value: &str) -> String {
        let mut out = String::new();
        push_text_field(&mut out, value);
        out
    }

    fn order(nickname: &str) -> Order {
        Order {
            id: 12,
            number: 12,
            nickname: nickname.into(),
            drink: "tea".into(),
            status: OrderStatus::Ready,
            version: 3,
            created_at: 1_795_240_300_927,
            updated_at: 1_795_240_360_000,
            placed_at: 1_795_240_300_927,
            preparing_at: Some(1_795_240_330_000),
            ready_at: Some(1_795_240_360_000),
            served_at: None,
            cancelled_at: None,
        }
    }

    #[test]
    fn plain_text_is_written_as_it_is() {
        assert_eq!(field("Ana"), "Ana");
        assert_eq!(field("Zoë 🍹"), "Zoë 🍹");
        assert_eq!(field(""), "");
        assert_eq!(field("a=b"), "a=b");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted_per_rfc_4180() {
        assert_eq!(field("Ana, Bob"), "\"Ana, Bob\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("a\nb"), "\"a\nb\"");
        assert_eq!(field("a\r\nb"), "\"a\r\nb\"");
        assert_eq!(field("\""), "\"\"\"\"");
    }

    #[test]
    fn cells_that_look_like_formulas_get_a_leading_quote() {
        assert_eq!(field("=1+2"), "'=1+2");
        assert_eq!(field("+49 170"), "'+49 170");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(field("\rx"), "\"'\rx\"");
    }

    #[test]
    fn a_formula_with_quotes_and_commas_is_defused_and_quoted() {
        assert_eq!(
            field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
    }

    #[test]
    fn epoch_milliseconds_become_iso_8601_utc() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_utc(1), "1970-01-01T00:00:00.001Z");
        assert_eq!(iso8601_utc(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601_utc(1_795_240_300_927), "2026-11-21T05:51:40.927Z");
        assert_eq!(iso8601_utc(1_798_761_599_999), "2026-12-31T23:59:59.999Z");
        assert_eq!(iso8601_utc(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        assert_eq!(iso8601_utc(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn extreme_times_do_not_panic() {
        assert!(iso8601_utc(i64::MAX).ends_with('Z'));
        assert!(iso8601_utc(i64::MIN).ends_with('Z'));
    }

    #[test]
    fn export_has_a_header_and_one_crlf_record_per_order() {
        let csv = orders_csv(&[order("Ana"), order("=cmd|' /C calc'!A0")]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{csv:?}");
        assert_eq!(
            lines[0],
            "id,number,nickname,drink,status,version,created_at,updated_at,placed_at,\
             preparing_at,ready_at,served_at,cancelled_at"
        );
        assert_eq!(
            lines[1],
            "12,12,Ana,tea,ready,3,2026-11-21T05:51:40.927Z,2026-11-21T05:52:40.000Z,\
             2026-11-21T05:51:40.927Z,2026-11-21T05:52:10.000Z,2026-11-21T05:52:40.000Z,,"
        );
        assert!(lines[2].starts_with("12,12,'=cmd|' /C calc'!A0,tea,"));
        assert_eq!(lines[3], "");
    }

    #[test]
    fn export_of_no_orders_is_just_the_header() {
        assert_eq!(orders_csv(&[]).matches("\r\n").count(), 1);
    }
}
