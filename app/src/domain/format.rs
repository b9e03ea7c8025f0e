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
}
