//! Date arithmetic of ECMAScript `Date`, enough to run the Netscape date/time helpers exactly
//! as Chromium's JavaScript library does (including its quirks), against an injected clock.

const MS_PER_DAY: f64 = 86_400_000.0;
const MS_PER_HOUR: f64 = 3_600_000.0;
const MS_PER_MINUTE: f64 = 60_000.0;
const MS_PER_SECOND: f64 = 1000.0;

/// Local-time offset source: seconds east of UTC at a UTC instant (seconds since epoch).
pub trait Offset {
    /// Offset in seconds.
    fn offset_seconds(&self, utc_seconds: i64) -> i32;
}

impl<F: Fn(i64) -> i32> Offset for F {
    fn offset_seconds(&self, utc_seconds: i64) -> i32 {
        self(utc_seconds)
    }
}

fn offset_ms(t: f64, tz: &dyn Offset) -> f64 {
    #[allow(clippy::cast_possible_truncation)]
    let secs = (t / MS_PER_SECOND).floor() as i64;
    f64::from(tz.offset_seconds(secs)) * MS_PER_SECOND
}

/// A `Date` value: a time value in ms since the epoch (UTC), NaN when invalid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsDate(pub f64);

/// Broken-down fields of a time value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fields {
    /// Full year.
    pub year: f64,
    /// Month 0..11.
    pub month: f64,
    /// Day of month 1..31.
    pub date: f64,
    /// Hours 0..23.
    pub hours: f64,
    /// Minutes.
    pub minutes: f64,
    /// Seconds.
    pub seconds: f64,
    /// Milliseconds.
    pub ms: f64,
    /// Day of week, 0 = Sunday.
    pub weekday: f64,
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// ECMAScript MakeDay.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
pub fn make_day(year: f64, month: f64, date: f64) -> f64 {
    if !year.is_finite() || !month.is_finite() || !date.is_finite() {
        return f64::NAN;
    }
    let (y, m, dt) = (year.trunc(), month.trunc(), date.trunc());
    let ym = y + (m / 12.0).floor();
    if ym.abs() > 400_000.0 {
        return f64::NAN;
    }
    let mn = m.rem_euclid(12.0);
    let days = days_from_civil(ym as i64, mn as i64 + 1, 1) as f64;
    days + dt - 1.0
}

/// ECMAScript MakeTime.
pub fn make_time(h: f64, m: f64, s: f64, ms: f64) -> f64 {
    if !h.is_finite() || !m.is_finite() || !s.is_finite() || !ms.is_finite() {
        return f64::NAN;
    }
    h.trunc() * MS_PER_HOUR + m.trunc() * MS_PER_MINUTE + s.trunc() * MS_PER_SECOND + ms.trunc()
}

/// ECMAScript MakeDate.
pub fn make_date(day: f64, time: f64) -> f64 {
    let tv = day * MS_PER_DAY + time;
    if tv.is_finite() { tv } else { f64::NAN }
}

fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > 8.64e15 {
        f64::NAN
    } else {
        t.trunc() + 0.0
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn fields_of(t: f64) -> Fields {
    if t.is_nan() {
        return Fields {
            year: f64::NAN,
            month: f64::NAN,
            date: f64::NAN,
            hours: f64::NAN,
            minutes: f64::NAN,
            seconds: f64::NAN,
            ms: f64::NAN,
            weekday: f64::NAN,
        };
    }
    let day = (t / MS_PER_DAY).floor();
    let within = t - day * MS_PER_DAY;
    let (y, m, d) = civil_from_days(day as i64);
    Fields {
        year: y as f64,
        month: (m - 1) as f64,
        date: d as f64,
        hours: (within / MS_PER_HOUR).floor(),
        minutes: (within / MS_PER_MINUTE).floor() % 60.0,
        seconds: (within / MS_PER_SECOND).floor() % 60.0,
        ms: within % MS_PER_SECOND,
        weekday: (day + 4.0).rem_euclid(7.0),
    }
}

impl JsDate {
    /// `new Date(y, mo, d, h, mi, s)` in local time.
    pub fn local(tz: &dyn Offset, y: f64, mo: f64, d: f64, h: f64, mi: f64, s: f64) -> Self {
        let tl = make_date(make_day(y, mo, d), make_time(h, mi, s, 0.0));
        Self(time_clip(utc(tl, tz)))
    }

    /// Local fields.
    pub fn local_fields(self, tz: &dyn Offset) -> Fields {
        fields_of(local(self.0, tz))
    }

    /// UTC fields.
    pub fn utc_fields(self) -> Fields {
        fields_of(self.0)
    }

    fn set_local(&mut self, tz: &dyn Offset, f: impl FnOnce(Fields, f64) -> f64) {
        if self.0.is_nan() {
            return;
        }
        let t = local(self.0, tz);
        let new_local = f(fields_of(t), t);
        self.0 = time_clip(utc(new_local, tz));
    }

    /// `setFullYear(y)` (an invalid date counts as +0 local).
    pub fn set_full_year(&mut self, tz: &dyn Offset, y: f64) {
        let t = if self.0.is_nan() {
            0.0
        } else {
            local(self.0, tz)
        };
        let fl = fields_of(t);
        let new_local = make_date(make_day(y, fl.month, fl.date), time_within_day(t));
        self.0 = time_clip(utc(new_local, tz));
    }

    /// `setMonth(m)`.
    pub fn set_month(&mut self, tz: &dyn Offset, m: f64) {
        self.set_local(tz, |fl, t| {
            make_date(make_day(fl.year, m, fl.date), time_within_day(t))
        });
    }

    /// `setDate(d)`.
    pub fn set_date(&mut self, tz: &dyn Offset, d: f64) {
        self.set_local(tz, |fl, t| {
            make_date(make_day(fl.year, fl.month, d), time_within_day(t))
        });
    }

    /// `setHours(h)`.
    pub fn set_hours(&mut self, tz: &dyn Offset, h: f64) {
        self.set_local(tz, |fl, t| {
            make_date(day_of(t), make_time(h, fl.minutes, fl.seconds, fl.ms))
        });
    }

    /// `setMinutes(m)`.
    pub fn set_minutes(&mut self, tz: &dyn Offset, m: f64) {
        self.set_local(tz, |fl, t| {
            make_date(day_of(t), make_time(fl.hours, m, fl.seconds, fl.ms))
        });
    }

    /// `setSeconds(s)`.
    pub fn set_seconds(&mut self, tz: &dyn Offset, s: f64) {
        self.set_local(tz, |fl, t| {
            make_date(day_of(t), make_time(fl.hours, fl.minutes, s, fl.ms))
        });
    }

    /// Chromium's "GMT" conversion: overwrite the local fields with the UTC ones, one setter at
    /// a time, each reading the already-modified date (as the JavaScript library does).
    pub fn shift_to_gmt_fields(&mut self, tz: &dyn Offset) {
        let y = self.utc_fields().year;
        self.set_full_year(tz, y);
        let m = self.utc_fields().month;
        self.set_month(tz, m);
        let d = self.utc_fields().date;
        self.set_date(tz, d);
        let h = self.utc_fields().hours;
        self.set_hours(tz, h);
        let mi = self.utc_fields().minutes;
        self.set_minutes(tz, mi);
        let s = self.utc_fields().seconds;
        self.set_seconds(tz, s);
    }
}

fn day_of(t: f64) -> f64 {
    (t / MS_PER_DAY).floor()
}

fn time_within_day(t: f64) -> f64 {
    t.rem_euclid(MS_PER_DAY)
}

fn local(t: f64, tz: &dyn Offset) -> f64 {
    t + offset_ms(t, tz)
}

fn utc(t: f64, tz: &dyn Offset) -> f64 {
    if !t.is_finite() {
        return f64::NAN;
    }
    t - offset_ms(t, tz)
}

/// JavaScript `parseInt(s)` with no radix, on an already-converted string.
pub fn parse_int(s: &str) -> f64 {
    let s = s.trim_start_matches(is_js_whitespace);
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (digits, radix) = match s.get(..2) {
        Some("0x" | "0X") => (&s[2..], 16u32),
        _ => (s, 10u32),
    };
    let mut v = 0f64;
    let mut any = false;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => {
                v = v * f64::from(radix) + f64::from(d);
                any = true;
            }
            None => break,
        }
    }
    if !any {
        return f64::NAN;
    }
    if neg { -v } else { v }
}

/// JavaScript white space and line terminators (what `parseInt` and `trim` skip).
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Property names every plain object inherits (`name in {...}` is true for them).
pub const OBJECT_PROTOTYPE_KEYS: [&str; 12] = [
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

/// Looks `name` up in a table the way `name in table ? table[name] : -1` does in the library:
/// a hit gives its number, an inherited `Object.prototype` key gives NaN (a function), else -1.
pub fn table_lookup(table: &[&str], name: &str) -> f64 {
    if let Some(i) = table.iter().position(|n| *n == name) {
        #[allow(clippy::cast_precision_loss)]
        return i as f64;
    }
    if OBJECT_PROTOTYPE_KEYS.contains(&name) {
        return f64::NAN;
    }
    -1.0
}

/// Weekday names, Sunday first.
pub const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
/// Month names, January first.
pub const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000i64, -1, 0, 1, 10_957, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn setters_overflow_like_javascript() {
        let utc = |_: i64| 0;
        // 2024-01-31 -> setMonth(1) -> 2024-03-02 (Feb 31 overflows).
        let mut d = JsDate::local(&utc, 2024.0, 0.0, 31.0, 0.0, 0.0, 0.0);
        d.set_month(&utc, 1.0);
        let f = d.local_fields(&utc);
        assert_eq!((f.year, f.month, f.date), (2024.0, 2.0, 2.0));
        // setMonth(-1) is December of the previous year.
        let mut d = JsDate::local(&utc, 2024.0, 0.0, 1.0, 0.0, 0.0, 0.0);
        d.set_month(&utc, -1.0);
        let f = d.local_fields(&utc);
        assert_eq!((f.year, f.month), (2023.0, 11.0));
        d.set_month(&utc, f64::NAN);
        assert!(d.0.is_nan());
        d.set_full_year(&utc, 2020.0);
        assert_eq!(d.local_fields(&utc).year, 2020.0);
    }

    #[test]
    fn parse_int_like_javascript() {
        assert_eq!(parse_int("12"), 12.0);
        assert_eq!(parse_int("  -7abc"), -7.0);
        assert_eq!(parse_int("0x1F"), 31.0);
        assert_eq!(parse_int("1e3"), 1.0);
        assert!(parse_int("JAN").is_nan());
        assert!(parse_int("").is_nan());
        assert_eq!(parse_int("5.9"), 5.0);
    }
}
