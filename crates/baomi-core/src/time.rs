//! Calendar arithmetic without a date crate: today's date for the ID-card
//! validator, RFC 3339 UTC timestamps for the ledger and the daemon, and
//! the office's clock — the one place where a stored UTC time becomes the
//! date and time a person reads ([`format_datetime`], [`format_date`]).

/// Seconds since the Unix epoch now (0 if the clock is before 1970).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds since the Unix epoch now, in WebAssembly without an OS, where
/// `SystemTime::now()` panics: the clock comes from the host through the
/// import `baomi.now_unix_seconds` (bindings/wasm/baomi.mjs passes
/// `Date.now() / 1000`). A missing or absurd clock (before 2026) counts as
/// 2026-01-01, so the ID-card validator errs towards reporting a number
/// rather than dismissing every birth date as "in the future".
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub fn now_unix() -> u64 {
    #[link(wasm_import_module = "baomi")]
    extern "C" {
        fn now_unix_seconds() -> f64;
    }
    const FLOOR: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
                                      // SAFETY: a host function taking nothing and returning a number.
    let s = unsafe { now_unix_seconds() };
    if s.is_finite() && s > 0.0 {
        (s as u64).max(FLOOR)
    } else {
        FLOOR
    }
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

// ------------------------------------------------------------ office clock

/// The office's time zone, as a fixed offset from UTC.
///
/// Stored times stay RFC 3339 UTC; every date and time a *person* reads
/// (web pages, printed and exported forms, `baomi review` output) is shown
/// in this zone, labelled, through [`format_datetime`] and [`format_date`].
///
/// A fixed offset is exact for the zones offered: mainland China has had no
/// daylight saving time since 1991 (Hong Kong, Macau and Taipei since
/// 1979), so times recorded by baomi are never ambiguous. Dates before then
/// may be an hour off in summer; the ledger holds none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    name: String,
    offset_secs: i32,
    label: String,
}

/// The named zones [`Zone::parse`] accepts: (name, UTC offset in hours,
/// label shown after every time).
pub const NAMED_ZONES: [(&str, i32, &str); 12] = [
    ("Asia/Shanghai", 8, "北京时间"),
    ("Asia/Chongqing", 8, "北京时间"),
    ("Asia/Chungking", 8, "北京时间"),
    ("Asia/Harbin", 8, "北京时间"),
    ("PRC", 8, "北京时间"),
    ("Asia/Hong_Kong", 8, "香港时间"),
    ("Asia/Macau", 8, "澳门时间"),
    ("Asia/Macao", 8, "澳门时间"),
    ("Asia/Taipei", 8, "台北时间"),
    ("Asia/Urumqi", 6, "乌鲁木齐时间"),
    ("UTC", 0, "UTC"),
    ("Etc/UTC", 0, "UTC"),
];

/// The environment variable that sets the office's zone (it wins over the
/// `timezone` key of `baomi.toml`).
pub const TIMEZONE_ENV: &str = "BAOMI_TIMEZONE";

/// The zone used when none is configured.
pub const DEFAULT_ZONE: &str = "Asia/Shanghai";

/// A time zone name that is not one of [`NAMED_ZONES`] nor a fixed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneError {
    pub given: String,
}

impl std::fmt::Display for ZoneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown time zone `{}`: use one of ", self.given)?;
        for (i, (name, _, _)) in NAMED_ZONES.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        f.write_str(", or a fixed UTC offset such as +08:00 or UTC+8")
    }
}

impl std::error::Error for ZoneError {}

impl Default for Zone {
    /// Beijing time (Asia/Shanghai, UTC+8).
    fn default() -> Zone {
        Zone::beijing()
    }
}

impl std::str::FromStr for Zone {
    type Err = ZoneError;
    fn from_str(s: &str) -> Result<Zone, ZoneError> {
        Zone::parse(s)
    }
}

impl Zone {
    /// Asia/Shanghai, UTC+8, labelled 北京时间.
    pub fn beijing() -> Zone {
        Zone {
            name: DEFAULT_ZONE.into(),
            offset_secs: 8 * 3600,
            label: "北京时间".into(),
        }
    }

    /// A zone by name — one of [`NAMED_ZONES`] (case does not matter) — or
    /// a fixed offset: `+08:00`, `+0800`, `+8`, `UTC+8`, `UTC-05:30`,
    /// `GMT+8`. A fixed offset is labelled as such (`UTC+08:00`), never with
    /// a place name.
    ///
    /// ```
    /// use baomi_core::time::Zone;
    /// assert_eq!(Zone::parse("Asia/Hong_Kong").unwrap().label(), "香港时间");
    /// assert_eq!(Zone::parse("UTC+8").unwrap().offset_secs(), 8 * 3600);
    /// assert!(Zone::parse("Europe/Paris").unwrap_err().to_string().contains("Asia/Shanghai"));
    /// ```
    pub fn parse(s: &str) -> Result<Zone, ZoneError> {
        let t = s.trim();
        let err = || ZoneError { given: s.into() };
        if t.is_empty() {
            return Err(err());
        }
        if let Some((name, hours, label)) = NAMED_ZONES
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(t))
        {
            return Ok(Zone {
                name: (*name).into(),
                offset_secs: hours * 3600,
                label: (*label).into(),
            });
        }
        let upper = t.to_ascii_uppercase();
        let rest = upper
            .strip_prefix("UTC")
            .or_else(|| upper.strip_prefix("GMT"))
            .unwrap_or(&upper);
        let offset = parse_offset(rest).ok_or_else(err)?;
        Ok(Zone::fixed(offset))
    }

    /// A fixed offset east of UTC, in seconds (labelled `UTC+08:00`; `UTC`
    /// for zero).
    pub fn fixed(offset_secs: i32) -> Zone {
        let label = if offset_secs == 0 {
            "UTC".to_string()
        } else {
            let a = offset_secs.unsigned_abs();
            format!(
                "UTC{}{:02}:{:02}",
                if offset_secs < 0 { '-' } else { '+' },
                a / 3600,
                a % 3600 / 60
            )
        };
        Zone {
            name: label.clone(),
            offset_secs,
            label,
        }
    }

    /// The name it was configured with (`Asia/Shanghai`, `UTC+08:00`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds east of UTC.
    pub fn offset_secs(&self) -> i32 {
        self.offset_secs
    }

    /// What follows every time shown: `北京时间`, `香港时间`, `UTC+05:30`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The local (year, month, day, hour, minute) of an RFC 3339 time.
    fn local(&self, rfc3339: &str) -> Option<(i64, u32, u32, i64, i64)> {
        let t = unix_from_rfc3339(rfc3339)? + i64::from(self.offset_secs);
        let (y, m, d) = civil_from_days_i64(t.div_euclid(86_400));
        let rem = t.rem_euclid(86_400);
        Some((y, m, d, rem / 3600, rem % 3600 / 60))
    }

    /// `2026-12-01T23:30:00Z` → `2026-12-02 07:30 北京时间`. Text that is
    /// not an RFC 3339 time is returned as it is, with invisible characters
    /// made visible ([`crate::display::visible`]).
    ///
    /// ```
    /// use baomi_core::time::Zone;
    /// assert_eq!(Zone::beijing().format_datetime("2026-12-01T23:30:00Z"), "2026-12-02 07:30 北京时间");
    /// ```
    pub fn format_datetime(&self, rfc3339: &str) -> String {
        match self.local(rfc3339) {
            Some((y, m, d, hh, mm)) => {
                format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02} {}", self.label)
            }
            None => crate::display::visible(rfc3339),
        }
    }

    /// The local date of an RFC 3339 time, as the office writes it on
    /// forms: `2026-12-01T23:30:00Z` → `2026-12-02` (in Beijing time).
    /// The zone's label is not repeated: a form says once, in its heading,
    /// which zone its dates are in ([`Zone::label`]).
    pub fn format_date(&self, rfc3339: &str) -> String {
        match self.local(rfc3339) {
            Some((y, m, d, _, _)) => format!("{y:04}-{m:02}-{d:02}"),
            None => crate::display::visible(rfc3339),
        }
    }
}

/// `+08:00`, `+0800`, `+8`, `-5:30` → seconds; the sign is required except
/// for zero (`0`, `00:00`), and offsets beyond ±14:00 are refused.
fn parse_offset(s: &str) -> Option<i32> {
    if s.is_empty() {
        return Some(0); // bare "UTC" / "GMT"
    }
    let (sign, body) = match s.as_bytes()[0] {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ if s.bytes().all(|b| b == b'0' || b == b':') => return Some(0),
        _ => return None,
    };
    let digits = |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
    let (h, m) = match body.split_once(':') {
        Some((h, m)) if digits(h) && m.len() == 2 && digits(m) => (h, m),
        None if body.len() == 4 && body.bytes().all(|b| b.is_ascii_digit()) => {
            (&body[..2], &body[2..])
        }
        None if digits(body) => (body, "0"),
        _ => return None,
    };
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h * 60 + m > 14 * 60 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// (year, month, day) → days since 1970-01-01 (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days_i64(z: i64) -> (i64, u32, u32) {
    let (y, m, d) = civil_from_days(z);
    (i64::from(y), m, d)
}

/// Seconds since the Unix epoch of an RFC 3339 time:
/// `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or `±HH:MM` (a space
/// for the `T` and lower-case `t`/`z` are accepted too). `None` for
/// anything else, including impossible dates.
///
/// ```
/// use baomi_core::time::unix_from_rfc3339;
/// assert_eq!(unix_from_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
/// assert_eq!(unix_from_rfc3339("2000-02-29T08:00:00+08:00"), Some(951_782_400));
/// assert_eq!(unix_from_rfc3339("2001-02-29T00:00:00Z"), None);
/// ```
pub fn unix_from_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mi, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            i64::from(parse_offset(rest).filter(|_| rest.starts_with(['+', '-']))?)
        }
        _ => return None,
    };
    let days_in_month = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if y < 1 || d < 1 || d > days_in_month || hh > 23 || mi > 59 || ss > 60 {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(days * 86_400 + hh * 3600 + mi * 60 + ss - offset)
}

/// The zone configured by the environment (`BAOMI_TIMEZONE`, when set and
/// not empty), else `configured` (the `timezone` key of `baomi.toml`),
/// else [`DEFAULT_ZONE`].
pub fn office_zone_from_env_or(configured: Option<&str>) -> Result<Zone, ZoneError> {
    let env = std::env::var(TIMEZONE_ENV).ok();
    match env.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => Zone::parse(name),
        None => configured.map_or_else(|| Ok(Zone::default()), Zone::parse),
    }
}

/// The top-level `timezone` key of a `baomi.toml` text. `Ok(None)` when it
/// is absent — and when the text is not TOML at all: that is for the
/// command that owns the file to report. A `timezone` that is not a
/// string, or not a zone, is an error.
pub fn configured_zone(baomi_toml: &str) -> Result<Option<Zone>, String> {
    let Ok(table) = baomi_toml.parse::<toml::Table>() else {
        return Ok(None);
    };
    match table.get("timezone") {
        None => Ok(None),
        Some(toml::Value::String(s)) => Zone::parse(s).map(Some).map_err(|e| e.to_string()),
        Some(other) => Err(format!(
            "timezone must be a string such as \"Asia/Shanghai\", not {other}"
        )),
    }
}

static OFFICE_ZONE: std::sync::OnceLock<Zone> = std::sync::OnceLock::new();

/// Sets the office's zone for this process, once, at startup (the `baomi`
/// binary does it from `BAOMI_TIMEZONE` and `baomi.toml`). `Err` gives the
/// zone back when another one was set (or used) first.
pub fn set_office_zone(zone: Zone) -> Result<(), Zone> {
    OFFICE_ZONE.set(zone.clone()).or_else(|_| {
        if office_zone() == &zone {
            Ok(())
        } else {
            Err(zone)
        }
    })
}

/// Reads the office's zone from the environment ([`office_zone_from_env_or`]
/// with nothing else configured) and sets it for the process; an unknown
/// zone is an error that lists the accepted ones. For a program's startup,
/// after `baomi.toml`'s `timezone` was put into `BAOMI_TIMEZONE`.
pub fn init_office_zone() -> Result<&'static Zone, ZoneError> {
    let zone = office_zone_from_env_or(None)?;
    set_office_zone(zone.clone()).map_err(|_| ZoneError {
        given: format!("{} (another zone was already in use)", zone.name()),
    })?;
    Ok(office_zone())
}

/// The office's zone: the one [`set_office_zone`] set, else (for library
/// users that never set one) `BAOMI_TIMEZONE` when it names a zone, else
/// Beijing time. A `BAOMI_TIMEZONE` that names no zone is not guessed at:
/// times are then shown in UTC, labelled `UTC（时区设置无效）`, so that the
/// mistake is seen on the first page rather than an hour off unnoticed.
pub fn office_zone() -> &'static Zone {
    OFFICE_ZONE.get_or_init(|| {
        office_zone_from_env_or(None).unwrap_or_else(|_| Zone {
            name: "UTC".into(),
            offset_secs: 0,
            label: "UTC（时区设置无效）".into(),
        })
    })
}

/// Every date and time a person reads: an RFC 3339 time in the office's
/// zone, labelled — `2026-12-01T23:30:00Z` → `2026-12-02 07:30 北京时间`.
pub fn format_datetime(rfc3339: &str) -> String {
    office_zone().format_datetime(rfc3339)
}

/// The office-local date of an RFC 3339 time (`2026-12-02`), for forms.
pub fn format_date(rfc3339: &str) -> String {
    office_zone().format_date(rfc3339)
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

    #[test]
    fn office_times_are_local_and_labelled() {
        let bj = Zone::parse("Asia/Shanghai").unwrap();
        // After 16:00 UTC it is already the next day in Beijing.
        assert_eq!(
            bj.format_datetime("2026-12-01T23:30:00Z"),
            "2026-12-02 07:30 北京时间"
        );
        assert_eq!(bj.format_date("2026-12-01T23:30:00Z"), "2026-12-02");
        assert_eq!(bj.format_date("2026-12-01T15:59:59Z"), "2026-12-01");
        // Year and leap-day boundaries.
        assert_eq!(
            bj.format_datetime("2026-12-31T16:00:00Z"),
            "2027-01-01 00:00 北京时间"
        );
        assert_eq!(bj.format_date("2028-02-28T16:00:00Z"), "2028-02-29");
        // Fractions and explicit offsets are read; the output is always local.
        assert_eq!(
            bj.format_datetime("2026-12-02T07:30:00.123+08:00"),
            "2026-12-02 07:30 北京时间"
        );
        let utc = Zone::parse("UTC").unwrap();
        assert_eq!(
            utc.format_datetime("2026-12-01T23:30:00Z"),
            "2026-12-01 23:30 UTC"
        );
        let urumqi = Zone::parse("asia/urumqi").unwrap();
        assert_eq!(urumqi.name(), "Asia/Urumqi");
        assert_eq!(
            urumqi.format_datetime("2026-12-01T23:30:00Z"),
            "2026-12-02 05:30 乌鲁木齐时间"
        );
        let west = Zone::parse("UTC-05:30").unwrap();
        assert_eq!(west.label(), "UTC-05:30");
        assert_eq!(west.format_date("2026-12-01T03:00:00Z"), "2026-11-30");
        // Not a time: shown as stored, with invisible characters made visible.
        assert_eq!(bj.format_datetime("soon\u{202e}"), "soon⟨U+202E⟩");
        assert_eq!(bj.format_date(""), "");
    }

    #[test]
    fn zones_by_name_and_offset() {
        for (name, hours, label) in NAMED_ZONES {
            let z = Zone::parse(name).unwrap();
            assert_eq!((z.offset_secs(), z.label()), (hours * 3600, label));
        }
        for mainland in ["Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin"] {
            assert_eq!(Zone::parse(mainland).unwrap().label(), "北京时间");
        }
        assert_eq!(Zone::parse("Asia/Hong_Kong").unwrap().label(), "香港时间");
        assert_eq!(Zone::parse("Asia/Macau").unwrap().label(), "澳门时间");
        assert_eq!(Zone::parse("Asia/Taipei").unwrap().label(), "台北时间");
        assert_eq!(Zone::parse("Asia/Urumqi").unwrap().offset_secs(), 6 * 3600);
        for (text, secs) in [
            ("+08:00", 8 * 3600),
            ("+0800", 8 * 3600),
            ("+8", 8 * 3600),
            ("UTC+8", 8 * 3600),
            ("utc+08:00", 8 * 3600),
            ("GMT+8", 8 * 3600),
            ("UTC-5", -5 * 3600),
            ("+05:45", 5 * 3600 + 45 * 60),
            ("UTC", 0),
            ("+00:00", 0),
        ] {
            assert_eq!(Zone::parse(text).unwrap().offset_secs(), secs, "{text}");
        }
        assert_eq!(Zone::parse("+08:00").unwrap().label(), "UTC+08:00");
        for bad in [
            "Europe/Paris",
            "Beijing",
            "",
            "8",
            "+15:00",
            "+08:60",
            "UTC+",
            "+08:00:00",
        ] {
            let e = Zone::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("Asia/Shanghai") && e.contains("Asia/Urumqi") && e.contains("+08:00"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn rfc3339_is_parsed_strictly() {
        assert_eq!(unix_from_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_from_rfc3339("2026-11-27T11:20:05Z"),
            Some(1_795_778_405)
        );
        for s in [0, 951_782_400, 1_795_778_405, 4_102_444_800] {
            assert_eq!(unix_from_rfc3339(&rfc3339_utc(s)), Some(s as i64));
        }
        for bad in [
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T11:20:05",
            "2026-11-27T11:20:05+0800",
            "2026-11-27T11:20:05.Z",
            "2026-11-27",
            "+026-11-27T11:20:05Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert_eq!(unix_from_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn configuration() {
        assert_eq!(
            configured_zone("timezone = \"Asia/Hong_Kong\"\n[watch]\nroot = \"x\"").unwrap(),
            Some(Zone::parse("Asia/Hong_Kong").unwrap())
        );
        assert_eq!(configured_zone("[watch]\nroot = \"x\"").unwrap(), None);
        // Not TOML: for the owner of the file to report.
        assert_eq!(configured_zone("[[[").unwrap(), None);
        assert!(configured_zone("timezone = 8")
            .unwrap_err()
            .contains("string"));
        assert!(configured_zone("timezone = \"Mars\"")
            .unwrap_err()
            .contains("Asia/Shanghai"));
        // The environment is not touched here (tests run in parallel); the
        // binary's tests cover BAOMI_TIMEZONE.
        assert_eq!(Zone::default(), Zone::beijing());
    }
}
