//! Value conversion between the pg4 WIT types and PostgreSQL, matching Spin 3.6.3.
//!
//! Result columns: bool, bytea, float4/8, int2/4/8, text/varchar/bpchar, timestamp,
//! date, time, uuid, jsonb, numeric, int4range/int8range/numrange, int4[]/int8[]/numeric[],
//! text[]/varchar[]/bpchar[], interval; NULL becomes `db-null`; any other type comes back
//! as `unsupported(raw bytes)`. Like Spin, `timestamptz` is read as a naive date-time,
//! which tokio-postgres refuses, so a query with a `timestamptz` result column fails as a
//! whole. Return times as epoch milliseconds (`int8`) instead.

use std::error::Error as StdError;

use anyhow::{Context, anyhow};
use bytes::BytesMut;
use chrono::{Datelike, Timelike};
use postgres_range::{BoundSided, BoundType, Normalizable, Range, RangeBound};
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use crate::bindings::pg4::{DbDataType, DbValue, Interval, ParameterValue, RangeBoundKind};

type BoxError = Box<dyn StdError + Sync + Send>;

pub fn data_type(ty: &Type) -> DbDataType {
    match *ty {
        Type::BOOL => DbDataType::Boolean,
        Type::BYTEA => DbDataType::Binary,
        Type::FLOAT4 => DbDataType::Floating32,
        Type::FLOAT8 => DbDataType::Floating64,
        Type::INT2 => DbDataType::Int16,
        Type::INT4 => DbDataType::Int32,
        Type::INT8 => DbDataType::Int64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => DbDataType::Str,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => DbDataType::Datetime,
        Type::DATE => DbDataType::Date,
        Type::TIME => DbDataType::Time,
        Type::UUID => DbDataType::Uuid,
        Type::JSONB => DbDataType::Jsonb,
        Type::NUMERIC => DbDataType::Decimal,
        Type::INT4_RANGE => DbDataType::RangeInt32,
        Type::INT8_RANGE => DbDataType::RangeInt64,
        Type::NUM_RANGE => DbDataType::RangeDecimal,
        Type::INT4_ARRAY => DbDataType::ArrayInt32,
        Type::INT8_ARRAY => DbDataType::ArrayInt64,
        Type::NUMERIC_ARRAY => DbDataType::ArrayDecimal,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => DbDataType::ArrayStr,
        Type::INTERVAL => DbDataType::Interval,
        _ => DbDataType::Other(ty.name().to_string()),
    }
}

fn get<'a, T: FromSql<'a>>(
    row: &'a Row,
    i: usize,
    wrap: impl FnOnce(T) -> anyhow::Result<DbValue>,
) -> anyhow::Result<DbValue> {
    match row.try_get::<_, Option<T>>(i)? {
        Some(v) => wrap(v),
        None => Ok(DbValue::DbNull),
    }
}

pub fn from_row(row: &Row, i: usize) -> anyhow::Result<DbValue> {
    let ty = row.columns()[i].type_().clone();
    match ty {
        Type::BOOL => get(row, i, |v| Ok(DbValue::Boolean(v))),
        Type::BYTEA => get(row, i, |v| Ok(DbValue::Binary(v))),
        Type::FLOAT4 => get(row, i, |v| Ok(DbValue::Floating32(v))),
        Type::FLOAT8 => get(row, i, |v| Ok(DbValue::Floating64(v))),
        Type::INT2 => get(row, i, |v| Ok(DbValue::Int16(v))),
        Type::INT4 => get(row, i, |v| Ok(DbValue::Int32(v))),
        Type::INT8 => get(row, i, |v| Ok(DbValue::Int64(v))),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => get(row, i, |v| Ok(DbValue::Str(v))),
        // Read as a naive date-time for both types, as Spin 3.6.3 does: for `timestamptz`
        // tokio-postgres refuses the conversion and the whole query fails.
        Type::TIMESTAMP | Type::TIMESTAMPTZ => get(row, i, |v: chrono::NaiveDateTime| {
            Ok(DbValue::Datetime((
                v.year(),
                u8::try_from(v.month())?,
                u8::try_from(v.day())?,
                u8::try_from(v.hour())?,
                u8::try_from(v.minute())?,
                u8::try_from(v.second())?,
                v.nanosecond(),
            )))
        }),
        Type::DATE => get(row, i, |v: chrono::NaiveDate| {
            Ok(DbValue::Date((
                v.year(),
                u8::try_from(v.month())?,
                u8::try_from(v.day())?,
            )))
        }),
        Type::TIME => get(row, i, |v: chrono::NaiveTime| {
            Ok(DbValue::Time((
                u8::try_from(v.hour())?,
                u8::try_from(v.minute())?,
                u8::try_from(v.second())?,
                v.nanosecond(),
            )))
        }),
        Type::UUID => get(row, i, |v: uuid::Uuid| Ok(DbValue::Uuid(v.to_string()))),
        Type::JSONB => get(row, i, |v: serde_json::Value| {
            Ok(DbValue::Jsonb(
                serde_json::to_vec(&v).context("invalid JSON from database")?,
            ))
        }),
        Type::NUMERIC => get(row, i, |v: rust_decimal::Decimal| {
            Ok(DbValue::Decimal(v.to_string()))
        }),
        Type::INT4_RANGE => get(row, i, |v: Range<i32>| {
            Ok(DbValue::RangeInt32(range_to_wit(&v, |x| *x)))
        }),
        Type::INT8_RANGE => get(row, i, |v: Range<i64>| {
            Ok(DbValue::RangeInt64(range_to_wit(&v, |x| *x)))
        }),
        Type::NUM_RANGE => get(row, i, |v: Range<RangeDecimal>| {
            Ok(DbValue::RangeDecimal(range_to_wit(&v, |x| x.0.to_string())))
        }),
        Type::INT4_ARRAY => get(row, i, |v| Ok(DbValue::ArrayInt32(v))),
        Type::INT8_ARRAY => get(row, i, |v| Ok(DbValue::ArrayInt64(v))),
        Type::NUMERIC_ARRAY => get(row, i, |v: Vec<Option<rust_decimal::Decimal>>| {
            Ok(DbValue::ArrayDecimal(
                v.into_iter().map(|d| d.map(|d| d.to_string())).collect(),
            ))
        }),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => {
            get(row, i, |v| Ok(DbValue::ArrayStr(v)))
        }
        Type::INTERVAL => get(row, i, |v: PgInterval| Ok(DbValue::Interval(v.0))),
        _ => get(row, i, |v: RawValue| Ok(DbValue::Unsupported(v.0))),
    }
}

pub fn to_sql(value: &ParameterValue) -> anyhow::Result<Box<dyn ToSql + Send + Sync>> {
    Ok(match value {
        ParameterValue::Boolean(v) => Box::new(*v),
        ParameterValue::Int8(v) => Box::new(*v),
        ParameterValue::Int16(v) => Box::new(*v),
        ParameterValue::Int32(v) => Box::new(*v),
        ParameterValue::Int64(v) => Box::new(*v),
        ParameterValue::Floating32(v) => Box::new(*v),
        ParameterValue::Floating64(v) => Box::new(*v),
        ParameterValue::Str(v) => Box::new(v.clone()),
        ParameterValue::Binary(v) => Box::new(v.clone()),
        ParameterValue::Date((y, m, d)) => Box::new(date(*y, *m, *d)?),
        ParameterValue::Time((h, mi, s, ns)) => Box::new(time(*h, *mi, *s, *ns)?),
        ParameterValue::Datetime((y, mo, d, h, mi, s, ns)) => Box::new(chrono::NaiveDateTime::new(
            date(*y, *mo, *d)?,
            time(*h, *mi, *s, *ns)?,
        )),
        ParameterValue::Timestamp(secs) => Box::new(
            chrono::DateTime::<chrono::Utc>::from_timestamp(*secs, 0)
                .ok_or_else(|| anyhow!("invalid epoch timestamp {secs}"))?,
        ),
        ParameterValue::Uuid(v) => {
            Box::new(uuid::Uuid::parse_str(v).with_context(|| format!("invalid UUID {v}"))?)
        }
        ParameterValue::Jsonb(v) => Box::new(
            serde_json::from_slice::<serde_json::Value>(v)
                .with_context(|| format!("invalid JSON {}", String::from_utf8_lossy(v)))?,
        ),
        ParameterValue::Decimal(v) => Box::new(decimal(v)?),
        ParameterValue::RangeInt32(r) => Box::new(range_from_wit(r, |x| Ok(*x))?),
        ParameterValue::RangeInt64(r) => Box::new(range_from_wit(r, |x| Ok(*x))?),
        ParameterValue::RangeDecimal(r) => {
            Box::new(range_from_wit(r, |x| Ok(RangeDecimal(decimal(x)?)))?)
        }
        ParameterValue::ArrayInt32(v) => Box::new(v.clone()),
        ParameterValue::ArrayInt64(v) => Box::new(v.clone()),
        ParameterValue::ArrayDecimal(v) => Box::new(
            v.iter()
                .map(|d| d.as_deref().map(decimal).transpose())
                .collect::<anyhow::Result<Vec<_>>>()?,
        ),
        ParameterValue::ArrayStr(v) => Box::new(v.clone()),
        ParameterValue::Interval(v) => Box::new(PgInterval(*v)),
        ParameterValue::DbNull => Box::new(Null),
    })
}

fn date(y: i32, m: u8, d: u8) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(y, m.into(), d.into())
        .ok_or_else(|| anyhow!("invalid date y={y}, m={m}, d={d}"))
}

fn time(h: u8, mi: u8, s: u8, ns: u32) -> anyhow::Result<chrono::NaiveTime> {
    chrono::NaiveTime::from_hms_nano_opt(h.into(), mi.into(), s.into(), ns)
        .ok_or_else(|| anyhow!("invalid time {h}:{mi}:{s}.{ns}"))
}

fn decimal(v: &str) -> anyhow::Result<rust_decimal::Decimal> {
    rust_decimal::Decimal::from_str_exact(v).with_context(|| format!("invalid decimal {v}"))
}

type WitBound<T> = Option<(T, RangeBoundKind)>;

fn kind(t: BoundType) -> RangeBoundKind {
    match t {
        BoundType::Inclusive => RangeBoundKind::Inclusive,
        BoundType::Exclusive => RangeBoundKind::Exclusive,
    }
}

fn bound_type(k: RangeBoundKind) -> BoundType {
    match k {
        RangeBoundKind::Inclusive => BoundType::Inclusive,
        RangeBoundKind::Exclusive => BoundType::Exclusive,
    }
}

fn range_to_wit<T, W>(r: &Range<T>, f: impl Fn(&T) -> W) -> (WitBound<W>, WitBound<W>)
where
    T: Normalizable + PartialOrd,
{
    fn side<S: BoundSided, T, W>(
        b: &RangeBound<S, T>,
        f: &impl Fn(&T) -> W,
    ) -> (W, RangeBoundKind) {
        (f(&b.value), kind(b.type_))
    }
    (
        r.lower().map(|b| side(b, &f)),
        r.upper().map(|b| side(b, &f)),
    )
}

fn range_from_wit<W, T>(
    (lower, upper): &(WitBound<W>, WitBound<W>),
    f: impl Fn(&W) -> anyhow::Result<T>,
) -> anyhow::Result<Range<T>>
where
    T: Normalizable + PartialOrd,
{
    let lower = lower
        .as_ref()
        .map(|(v, k)| Ok::<_, anyhow::Error>(RangeBound::new(f(v)?, bound_type(*k))))
        .transpose()?;
    let upper = upper
        .as_ref()
        .map(|(v, k)| Ok::<_, anyhow::Error>(RangeBound::new(f(v)?, bound_type(*k))))
        .transpose()?;
    Ok(Range::new(lower, upper))
}

/// `numeric` inside a `numrange`: continuous, so bounds are kept as written.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct RangeDecimal(rust_decimal::Decimal);

impl Normalizable for RangeDecimal {
    fn normalize<S: BoundSided>(bound: RangeBound<S, Self>) -> RangeBound<S, Self> {
        bound
    }
}

impl<'a> FromSql<'a> for RangeDecimal {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        rust_decimal::Decimal::from_sql(ty, raw).map(RangeDecimal)
    }
    fn accepts(ty: &Type) -> bool {
        <rust_decimal::Decimal as FromSql>::accepts(ty)
    }
}

impl ToSql for RangeDecimal {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        self.0.to_sql(ty, out)
    }
    fn accepts(ty: &Type) -> bool {
        <rust_decimal::Decimal as ToSql>::accepts(ty)
    }
    to_sql_checked!();
}

/// PostgreSQL `interval` in its binary form: microseconds, days, months.
#[derive(Debug)]
struct PgInterval(Interval);

impl<'a> FromSql<'a> for PgInterval {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let raw: [u8; 16] = raw.try_into().map_err(|_| "interval must be 16 bytes")?;
        let micros = i64::from_be_bytes(raw[0..8].try_into()?);
        let days = i32::from_be_bytes(raw[8..12].try_into()?);
        let months = i32::from_be_bytes(raw[12..16].try_into()?);
        Ok(PgInterval(Interval {
            micros,
            days,
            months,
        }))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }
}

impl ToSql for PgInterval {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.extend_from_slice(&self.0.micros.to_be_bytes());
        out.extend_from_slice(&self.0.days.to_be_bytes());
        out.extend_from_slice(&self.0.months.to_be_bytes());
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }
    to_sql_checked!();
}

/// Any type the host has no mapping for: the raw binary representation.
struct RawValue(Vec<u8>);

impl<'a> FromSql<'a> for RawValue {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(RawValue(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// `db-null` as a parameter: NULL of whatever type the statement expects.
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(&self, _: &Type, _: &mut BytesMut) -> Result<IsNull, BoxError> {
        Ok(IsNull::Yes)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}
