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

use std::fmt::Write as _;

use crate::api::Order;
use crate::problem::ApiError;

/// The content type of the export.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
/// The download's `Content-Disposition`.
pub const CSV_DISPOSITION: &str = "attachment; filename=\"orders.csv\"";

/// The header record, in column order.
const ORDER_CSV_HEADER: [&str; 13] = [
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

/// Orders per statement of the streamed export ([`crate::sql::EXPORT_ORDERS_PAGE`]): the
/// most the export holds in memory at once (about 0.5 KiB of JSON and 0.2 KiB of CSV per
/// order). Small pages keep each turn short (migrations 0005, 0006: a page is built, then
/// the turn rests as long), so that other requests wait little behind an export's page.
pub const EXPORT_PAGE_SIZE: i64 = 250;

/// The header record, the first bytes of the export.
pub fn csv_header() -> Result<Vec<u8>, ApiError> {
    let mut out = writer(1);
    out.write_record(ORDER_CSV_HEADER)
        .map_err(|e| ApiError::internal_because("writing the CSV header", e))?;
    finish(out)
}

/// One record per order (CRLF endings), for a page of the streamed export.
///
/// Written field by field into one buffer: numbers through `itoa`, times and defused text
/// through scratch buffers reused from record to record, so that a page costs no
/// allocation per cell (the `csv` writer still decides the quoting).
pub fn csv_records(orders: &[Order]) -> Result<Vec<u8>, ApiError> {
    let mut out = writer(orders.len());
    let mut cells = Cells::default();
    for o in orders {
        cells.write_order(&mut out, o)?;
    }
    finish(out)
}

/// The scratch buffers of [`csv_records`], reused for every cell of a page.
#[derive(Default)]
struct Cells {
    number: itoa::Buffer,
    text: Vec<u8>,
    time: String,
}

impl Cells {
    fn write_order(&mut self, out: &mut csv::Writer<Vec<u8>>, o: &Order) -> Result<(), ApiError> {
        let csv_error =
            |e: csv::Error| ApiError::internal_because(format!("writing order {} as CSV", o.id), e);
        let time_error =
            |e: TimeOutOfRange| ApiError::internal_because(format!("order {}", o.id), e);
        out.write_field(self.number.format(o.id))
            .map_err(csv_error)?;
        out.write_field(self.number.format(o.number))
            .map_err(csv_error)?;
        out.write_field(formula_safe(&mut self.text, &o.nickname))
            .map_err(csv_error)?;
        out.write_field(formula_safe(&mut self.text, &o.drink))
            .map_err(csv_error)?;
        out.write_field(o.status.as_str()).map_err(csv_error)?;
        out.write_field(self.number.format(o.version))
            .map_err(csv_error)?;
        for ms in [
            Some(o.created_at),
            Some(o.updated_at),
            Some(o.placed_at),
            o.preparing_at,
            o.ready_at,
            o.served_at,
            o.cancelled_at,
        ] {
            self.time.clear();
            if let Some(ms) = ms {
                write_iso8601_utc(&mut self.time, ms).map_err(time_error)?;
            }
            out.write_field(&self.time).map_err(csv_error)?;
        }
        // An empty record ends the one written field by field.
        out.write_record(None::<&[u8]>).map_err(csv_error)
    }
}

/// A CSV writer into memory for about `records` records.
fn writer(records: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(128 * records))
}

fn finish(out: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, ApiError> {
    out.into_inner()
        .map_err(|e| ApiError::internal_because("finishing the CSV export", e.into_error()))
}

/// Whether a spreadsheet would take a cell with this text for a formula (OWASP's list:
/// `=`, `+`, `-`, `@`, TAB, CR at the start).
fn looks_like_formula(value: &str) -> bool {
    matches!(
        value.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// A text cell as written: with a leading `'` when it would be taken for a formula (the
/// CSV writer quotes it afterwards if it needs to be); `scratch` holds the defused copy.
fn formula_safe<'a>(scratch: &'a mut Vec<u8>, value: &'a str) -> &'a [u8] {
    if looks_like_formula(value) {
        scratch.clear();
        scratch.push(b'\'');
        scratch.extend_from_slice(value.as_bytes());
        scratch
    } else {
        value.as_bytes()
    }
}

/// A time the export cannot write (outside the years -9999..=9999).
#[derive(Debug, thiserror::Error)]
#[error("{ms} ms since 1970 is not a time the export can write")]
struct TimeOutOfRange {
    ms: i64,
    #[source]
    source: time::error::ComponentRange,
}

/// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), appended to `out`; times
/// before 1970 count backwards.
fn write_iso8601_utc(out: &mut String, ms: i64) -> Result<(), TimeOutOfRange> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|source| TimeOutOfRange { ms, source })?;
    let (year, month, day) = t.to_calendar_date();
    let (hour, minute, second, milli) = t.to_hms_milli();
    // Formatting into a String cannot fail.
    let _ = write!(
        out,
        "{year:04}-{:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z",
        u8::from(month)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole document as the export writes it: the header, then the records.
    fn orders_csv(orders: &[Order]) -> Result<Vec<u8>, ApiError> {
        let mut out = csv_header()?;
        out.extend(csv_records(orders)?);
        Ok(out)
    }
    use crate::domain::OrderStatus;

    /// The nickname cell of an order's record, as written.
    fn field(value: &str) -> String {
        let csv = String::from_utf8(orders_csv(&[order(value)]).unwrap()).unwrap();
        let record = csv.split_once("\r\n12,12,").unwrap().1;
        record.rsplit_once(",tea,ready,").unwrap().0.to_owned()
    }

    fn text(csv: Result<Vec<u8>, ApiError>) -> String {
        String::from_utf8(csv.unwrap()).unwrap()
    }

    fn order(nickname: &str) -> Order {
        Order {
            id: 12,
            number: 12,
            nickname: nickname.into(),
            name_hidden: false,
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
            cancelled_by: None,
            cancel_reason: None,
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

    fn iso8601_utc(ms: i64) -> Result<String, TimeOutOfRange> {
        let mut out = String::new();
        write_iso8601_utc(&mut out, ms).map(|()| out)
    }

    #[test]
    fn epoch_milliseconds_become_iso_8601_utc() {
        let time = |ms| iso8601_utc(ms).unwrap();
        assert_eq!(time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(time(1), "1970-01-01T00:00:00.001Z");
        assert_eq!(time(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(time(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(time(1_795_240_300_927), "2026-11-21T05:51:40.927Z");
        assert_eq!(time(1_798_761_599_999), "2026-12-31T23:59:59.999Z");
        assert_eq!(time(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        assert_eq!(time(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn times_beyond_the_year_9999_are_an_error_not_a_panic() {
        for ms in [i64::MAX, i64::MIN, 253_402_300_800_000] {
            assert!(iso8601_utc(ms).is_err(), "{ms}");
        }
        let mut far = order("Ana");
        far.served_at = Some(i64::MAX);
        assert!(orders_csv(&[far]).is_err_and(|e| e.is_internal()));
    }

    #[test]
    fn export_has_a_header_and_one_crlf_record_per_order() {
        let csv = text(orders_csv(&[order("Ana"), order("=cmd|' /C calc'!A0")]));
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
    fn pages_of_records_after_the_header_make_the_same_document_as_one_piece() {
        let orders = [order("Ana"), order("=1+2"), order("Bo, \"B\"")];
        let mut pieces = csv_header().unwrap();
        for page in orders.chunks(2) {
            pieces.extend(csv_records(page).unwrap());
        }
        assert_eq!(pieces, orders_csv(&orders).unwrap());
        assert!(csv_records(&[]).unwrap().is_empty());
    }

    #[test]
    fn export_of_no_orders_is_just_the_header() {
        assert_eq!(text(orders_csv(&[])).matches("\r\n").count(), 1);
    }
}
