//! Numbers and times formatted for people: "2,339", "2026-11-26 04:54 UTC".

/// Groups digits in threes: 2339 -> "2,339".
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds left in words: "less than a minute left", "about 2 minutes
/// left", "about 1 hour 5 minutes left".
pub fn format_eta(seconds: u64) -> String {
    match seconds {
        0..=59 => "less than a minute left".to_owned(),
        60..=3599 => {
            let minutes = seconds.div_ceil(60);
            format!(
                "about {minutes} minute{} left",
                if minutes == 1 { "" } else { "s" }
            )
        }
        _ => {
            let hours = seconds / 3600;
            let minutes = (seconds % 3600) / 60;
            format!(
                "about {hours} hour{} {minutes} minutes left",
                if hours == 1 { "" } else { "s" }
            )
        }
    }
}

/// Milliseconds since the Unix epoch as "YYYY-MM-DD HH:MM UTC". The server
/// renders and the browser hydrates the same text, so no local time zone is
/// involved (that would differ between the two and break hydration).
pub fn format_timestamp(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Milliseconds since the Unix epoch as the day, "YYYY-MM-DD" (UTC).
pub fn format_date(millis: i64) -> String {
    let (y, m, d) = civil_from_days(millis.div_euclid(1000).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Milliseconds since the Unix epoch as a Graph `DateTimeOffset`,
/// "2027-06-01T10:20:30Z".
pub fn format_graph_timestamp(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(millis),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// A day, "YYYY-MM-DD", as milliseconds since the Unix epoch at its start
/// (midnight UTC); `None` when it is not a real day.
pub fn millis_of_date(date: &str) -> Option<i64> {
    if !crate::domain::profile::is_iso_date(date) {
        return None;
    }
    let number = |r: std::ops::Range<usize>| date[r].parse::<i64>().ok();
    let days = days_from_civil(number(0..4)?, number(5..7)?, number(8..10)?);
    Some(days * 86_400_000)
}

/// A Graph `DateTimeOffset` in UTC ("2027-06-01T10:20:30Z", with or
/// without fractions of a second, or "+00:00") as milliseconds since the
/// Unix epoch; `None` for anything else.
pub fn millis_of_graph_timestamp(value: &str) -> Option<i64> {
    let day = millis_of_date(value.get(..10)?)?;
    let time = value.get(10..)?.strip_prefix('T')?;
    let time = time
        .strip_suffix('Z')
        .or_else(|| time.strip_suffix("+00:00"))?;
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let parts: Vec<&str> = clock.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let field = |text: &str, max: i64| {
        (text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<i64>().ok())
            .flatten()
            .filter(|n| *n <= max)
    };
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: i64 = format!("{fraction:0<3}").get(..3)?.parse().ok()?;
    let seconds = field(h, 23)? * 3600 + field(m, 59)? * 60 + field(s, 59)?;
    Some(day + seconds * 1000 + millis)
}

/// Howard Hinnant's civil-to-days algorithm: days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_in_thousands() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(2339), "2,339");
        assert_eq!(format_count(300_000), "300,000");
        assert_eq!(format_count(1_234_567), "1,234,567");
    }

    #[test]
    fn time_left_is_said_in_words() {
        assert_eq!(format_eta(12), "less than a minute left");
        assert_eq!(format_eta(60), "about 1 minute left");
        assert_eq!(format_eta(95), "about 2 minutes left");
        assert_eq!(format_eta(3900), "about 1 hour 5 minutes left");
    }

    #[test]
    fn timestamps_are_utc_calendar_times() {
        assert_eq!(format_timestamp(0), "1970-01-01 00:00 UTC");
        // 2026-11-26T04:54:38Z
        assert_eq!(format_timestamp(1_795_668_878_000), "2026-11-26 04:54 UTC");
        // A leap day.
        assert_eq!(format_timestamp(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn days_and_graph_timestamps_read_back_what_is_formatted() {
        assert_eq!(millis_of_date("1970-01-01"), Some(0));
        assert_eq!(millis_of_date("2000-02-29"), Some(951_782_400_000));
        assert_eq!(millis_of_date("2001-02-29"), None);
        assert_eq!(
            millis_of_graph_timestamp("2026-11-26T04:54:38Z"),
            Some(1_795_668_878_000)
        );
        assert_eq!(
            millis_of_graph_timestamp("2026-11-26T04:54:38.25Z"),
            Some(1_795_668_878_250)
        );
        assert_eq!(
            millis_of_graph_timestamp("2026-11-26T04:54:38.1234567+00:00"),
            Some(1_795_668_878_123)
        );
        assert_eq!(
            format_graph_timestamp(1_795_668_878_000),
            "2026-11-26T04:54:38Z"
        );
        for bad in [
            "2026-11-26",
            "2026-11-26T25:00:00Z",
            "2026-11-26T04:54:38+02:00",
            "x",
        ] {
            assert_eq!(millis_of_graph_timestamp(bad), None, "{bad}");
        }
        for day in [-1000_i64, 0, 10_957, 20_000, 2_900_000] {
            let millis = day * 86_400_000;
            assert_eq!(millis_of_date(&format_date(millis)), Some(millis));
        }
    }
}
