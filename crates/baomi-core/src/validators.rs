//! Validators: checks run on a pattern match so that a random 18-digit number
//! is not reported as an ID card. Each works on the normalised match (ASCII
//! digits and lower-case letters), so full-width input validates too.

/// The outcome of a validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A well-formed identifier.
    Pass,
    /// Plausible but unproven (a bank card failing Luhn, a 15-digit legacy
    /// ID): reported only with a context word nearby, at lower confidence.
    Weak,
    /// Not this kind of identifier.
    Fail,
}

/// A named validator that rules refer to with `validator = "…"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// Resident identity card number (GB 11643-1999), 18 or legacy 15 digits.
    CnRic,
    /// Unified social credit code (GB 32100-2015).
    CnUscc,
    /// Bank card: 16–19 digits, Luhn check.
    Luhn,
    /// Mainland mobile number, optionally with +86/0086 and separators.
    CnMobile,
    /// Geographic coordinates precise enough to locate a site.
    Coordinates,
}

impl Validator {
    pub const ALL: [Validator; 5] = [
        Validator::CnRic,
        Validator::CnUscc,
        Validator::Luhn,
        Validator::CnMobile,
        Validator::Coordinates,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Validator::CnRic => "cn-ric",
            Validator::CnUscc => "cn-uscc",
            Validator::Luhn => "luhn",
            Validator::CnMobile => "cn-mobile",
            Validator::Coordinates => "coordinates",
        }
    }

    pub fn from_name(name: &str) -> Option<Validator> {
        Validator::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Checks a normalised match.
    ///
    /// ```
    /// use baomi_core::validators::{Check, Validator};
    /// assert_eq!(Validator::CnRic.check("11010519491231002x"), Check::Pass);
    /// assert_eq!(Validator::CnRic.check("36042619910102009x"), Check::Fail);
    /// ```
    pub fn check(self, text: &str) -> Check {
        match self {
            Validator::CnRic => cn_ric(text),
            Validator::CnUscc => cn_uscc(text),
            Validator::Luhn => bank_card(text),
            Validator::CnMobile => cn_mobile(text),
            Validator::Coordinates => coordinates(text),
        }
    }
}

fn digits_only(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// Province-level prefixes of resident ID numbers (GB/T 2260 first two
/// digits, plus 71/81/82 for Taiwan, Hong Kong and Macao residence permits).
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

fn cn_ric(text: &str) -> Check {
    let id = digits_only(text).to_ascii_uppercase();
    let b = id.as_bytes();
    let province = match (b.first(), b.get(1)) {
        (Some(a), Some(c)) if a.is_ascii_digit() && c.is_ascii_digit() => {
            (a - b'0') * 10 + (c - b'0')
        }
        _ => return Check::Fail,
    };
    if !PROVINCES.contains(&province) {
        return Check::Fail;
    }
    match b.len() {
        18 => {
            if !b[..17].iter().all(u8::is_ascii_digit) {
                return Check::Fail;
            }
            const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
            let s: u32 = b[..17]
                .iter()
                .zip(W)
                .map(|(d, w)| u32::from(d - b'0') * w)
                .sum();
            let check = (12 - s % 11) % 11;
            let expected = if check == 10 {
                b'X'
            } else {
                b'0' + check as u8
            };
            if b[17] != expected {
                return Check::Fail;
            }
            if real_birth_date(num(&b[6..10]), num(&b[10..12]), num(&b[12..14])) {
                Check::Pass
            } else {
                Check::Fail
            }
        }
        15 => {
            if b.iter().all(u8::is_ascii_digit)
                && real_birth_date(1900 + num(&b[6..8]), num(&b[8..10]), num(&b[10..12]))
            {
                Check::Weak
            } else {
                Check::Fail
            }
        }
        _ => Check::Fail,
    }
}

fn num(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')))
}

fn real_birth_date(year: u32, month: u32, day: u32) -> bool {
    if !(1900..=9999).contains(&year) || !(1..=12).contains(&month) {
        return false;
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        return false;
    }
    (year, month, day) <= crate::time::today()
}

const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn cn_uscc(text: &str) -> Check {
    let code = digits_only(text).to_ascii_uppercase();
    let b = code.as_bytes();
    if b.len() != 18 {
        return Check::Fail;
    }
    // Some ID numbers also pass this check: the ID interpretation wins.
    if cn_ric(&code) != Check::Fail {
        return Check::Fail;
    }
    const W: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let mut sum = 0;
    for (c, w) in b[..17].iter().zip(W) {
        match USCC_ALPHABET.iter().position(|a| a == c) {
            Some(v) => sum += v * w,
            None => return Check::Fail,
        }
    }
    let check = USCC_ALPHABET[(31 - sum % 31) % 31];
    if b[17] == check {
        Check::Pass
    } else {
        Check::Fail
    }
}

fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// Bank cards: Luhn raises confidence, but some real cards fail it, so a
/// failing number is still reported when a context word is near.
fn bank_card(text: &str) -> Check {
    let d: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).collect();
    if !(16..=19).contains(&d.len()) || d.iter().all(|&c| c == d[0]) {
        return Check::Fail;
    }
    if luhn_ok(&d) {
        Check::Pass
    } else {
        Check::Weak
    }
}

fn cn_mobile(text: &str) -> Check {
    let mut d: String = text.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = d
        .strip_prefix("0086")
        .or_else(|| d.strip_prefix("86"))
        .filter(|r| r.len() == 11)
    {
        d = rest.to_string();
    }
    let b = d.as_bytes();
    if b.len() != 11 || b[0] != b'1' {
        return Check::Fail;
    }
    let ok = match (b[1], b[2]) {
        (b'3' | b'8', _) => true,
        (b'4', b'5' | b'7') => true,
        (b'5' | b'9', x) => x != b'4',
        (b'6', b'2' | b'5' | b'6' | b'7') => true,
        (b'6', b'1') => d.starts_with("1610"),
        (b'7', b'0'..=b'3' | b'5'..=b'8') => true,
        (b'7', b'4') => d.starts_with("1740") && (b'0'..=b'5').contains(&b[4]),
        _ => false,
    };
    if ok {
        Check::Pass
    } else {
        Check::Fail
    }
}

/// Decimal degrees need at least four decimals (about 10 m) and a valid
/// range; degree-minute-second forms need seconds. Coarse coordinates (a
/// city's location) are public information.
fn coordinates(text: &str) -> Check {
    let numbers: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| !s.is_empty())
        .collect();
    let is_dms = text.contains('°') || text.contains('度');
    if is_dms {
        // Expect degrees, minutes, seconds (seconds may have decimals).
        let values: Vec<f64> = numbers.iter().filter_map(|n| n.parse().ok()).collect();
        if values.len() < 3 || !values.len().is_multiple_of(3) {
            return Check::Fail;
        }
        for triple in values.chunks(3) {
            if triple[0] > 180.0 || triple[1] >= 60.0 || triple[2] >= 60.0 {
                return Check::Fail;
            }
        }
        return Check::Pass;
    }
    let values: Vec<(f64, usize)> = numbers
        .iter()
        .filter_map(|n| {
            Some((
                n.parse().ok()?,
                n.split_once('.').map_or(0, |(_, f)| f.len()),
            ))
        })
        .collect();
    if values.len() != 2 {
        return Check::Fail;
    }
    let (a, b) = (values[0], values[1]);
    let in_range = |lat: f64, lon: f64| lat <= 90.0 && lon <= 180.0;
    if a.1 >= 4 && b.1 >= 4 && (in_range(a.0, b.0) || in_range(b.0, a.0)) {
        Check::Pass
    } else {
        Check::Fail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ric_vectors() {
        for ok in [
            "11010519491231002X",
            "44011320141005001X",
            "321083197812162119",
            "11010519491231002x",
        ] {
            assert_eq!(cn_ric(ok), Check::Pass, "{ok}");
        }
        assert_eq!(cn_ric("36042619910102009X"), Check::Fail, "check digit");
        assert_eq!(cn_ric("360426199113010079"), Check::Fail, "date");
        assert_eq!(cn_ric("990426199112010074"), Check::Fail, "region");
        assert_eq!(
            cn_ric("11010520991231002X"),
            Check::Fail,
            "future birth date"
        );
        assert_eq!(cn_ric("110105491231002"), Check::Weak, "15-digit legacy");
        assert_eq!(cn_ric("110105491331002"), Check::Fail, "15-digit bad month");
    }

    #[test]
    fn uscc_vectors() {
        assert_eq!(cn_uscc("91110000600037341L"), Check::Pass);
        assert_eq!(cn_uscc("91310115MA1K3BTP2B"), Check::Pass);
        assert_eq!(cn_uscc("91310115MA1K3BTP2C"), Check::Fail);
        assert_eq!(
            cn_uscc("91110000600037341I"),
            Check::Fail,
            "I is not in the alphabet"
        );
    }

    #[test]
    fn luhn_vectors() {
        assert_eq!(bank_card("6222021234567890128"), Check::Pass);
        assert_eq!(bank_card("4111 1111 1111 1111"), Check::Pass);
        assert_eq!(bank_card("4111111111111112"), Check::Weak);
        assert_eq!(bank_card("1111111111111111"), Check::Fail);
        assert_eq!(bank_card("123"), Check::Fail);
    }

    #[test]
    fn mobile_vectors() {
        assert_eq!(cn_mobile("13812345678"), Check::Pass);
        assert_eq!(cn_mobile("+86 138-1234-5678"), Check::Pass);
        assert_eq!(cn_mobile("008619912345678"), Check::Pass);
        assert_eq!(cn_mobile("12812345678"), Check::Fail);
        assert_eq!(cn_mobile("17412345678"), Check::Fail);
        assert_eq!(cn_mobile("17400012345"), Check::Pass);
    }

    #[test]
    fn coordinate_vectors() {
        assert_eq!(coordinates("116.397128, 39.916527"), Check::Pass);
        assert_eq!(coordinates("116.4, 39.9"), Check::Fail, "too coarse");
        assert_eq!(coordinates("东经116°23′17″，北纬39°54′27″"), Check::Pass);
        assert_eq!(coordinates("200.123456, 100.123456"), Check::Fail);
    }
}
