//! Calendar arithmetic without a date crate: today's date for the ID-card
//! validator, and RFC 3339 UTC timestamps for the ledger and the daemon.

/// Seconds since the Unix epoch now (0 if the clock is before 1970).
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian
/// calendar, after Howard Hinnant's `civil_from_days`.
///
/// ```
/// assert_eq!(baomi_core::time::civil_from_days(0), (1970, 1, 1));
/// assert_eq!(baomi_core::time::civil_from_days(11_016), (2000, 2, 29));
/// ```
pub fn civil_from_days(z: i64) -> (u32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as u32, m as u32, d as u32)
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC
/// (`2026-11-27T11:20:05Z`).
///
/// ```
/// assert_eq!(baomi_core::time::rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
/// ```
pub fn rfc3339_utc(secs: u64) -> String {
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Today's date (UTC).
pub fn today() -> (u32, u32, u32) {
    civil_from_days((now_unix() / 86_400) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_778_405), "2026-11-27T11:20:05Z");
        assert!(today().0 >= 2026);
    }
}
