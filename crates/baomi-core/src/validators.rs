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
    /// Well-formed, but one part is doubtful (an ID whose region code is not
    /// one that was ever issued to people): reported, but never above
    /// `medium` confidence, since BASIS says an unknown region lowers
    /// confidence rather than rejecting.
    Unsure,
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
    /// A masked 18-digit ID that still shows too much (more than 8 digits,
    /// or the whole birth date); a match without a mask character fails.
    MaskedId,
    /// A masked mobile number that still shows more than 7 digits.
    MaskedMobile,
    /// Disability certificate number (残疾人证号): an ID number, then the
    /// category (1–7) and grade (1–4).
    CnDisabilityCert,
}

impl Validator {
    pub const ALL: [Validator; 8] = [
        Validator::CnRic,
        Validator::CnUscc,
        Validator::Luhn,
        Validator::CnMobile,
        Validator::Coordinates,
        Validator::MaskedId,
        Validator::MaskedMobile,
        Validator::CnDisabilityCert,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Validator::CnRic => "cn-ric",
            Validator::CnUscc => "cn-uscc",
            Validator::Luhn => "luhn",
            Validator::CnMobile => "cn-mobile",
            Validator::Coordinates => "coordinates",
            Validator::MaskedId => "masked-id",
            Validator::MaskedMobile => "masked-mobile",
            Validator::CnDisabilityCert => "cn-disability-cert",
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
            Validator::MaskedId => masked_id(text),
            Validator::MaskedMobile => masked_mobile(text),
            Validator::CnDisabilityCert => disability_cert(text),
        }
    }
}

/// The ASCII bytes of a candidate that `keep` accepts, upper-cased, on the
/// stack: a validator runs once per pattern match (hundreds of thousands on
/// a roster), and allocating there was a fifth of such a scan.
struct Kept {
    buf: [u8; KEPT_MAX],
    len: usize,
}

/// More characters than any identifier checked here has (the longest, a
/// disability certificate, has 20).
const KEPT_MAX: usize = 40;

impl std::ops::Deref for Kept {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// `None` when more than [`KEPT_MAX`] bytes are kept: no valid identifier.
fn kept(text: &str, keep: fn(&u8) -> bool) -> Option<Kept> {
    let mut k = Kept {
        buf: [0; KEPT_MAX],
        len: 0,
    };
    for b in text.bytes().filter(keep) {
        *k.buf.get_mut(k.len)? = b.to_ascii_uppercase();
        k.len += 1;
    }
    Some(k)
}

/// Province-level prefixes of resident ID numbers (GB/T 2260 first two
/// digits, plus 71 for Taiwan). Residence permits for residents of Hong Kong,
/// Macao and Taiwan (2018) use exactly 810000, 820000 and 830000.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// GB 11643 check character (ISO 7064 MOD 11-2) of 17 digits.
fn ric_check_char(b: &[u8]) -> u8 {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = (12 - s % 11) % 11;
    if check == 10 {
        b'X'
    } else {
        b'0' + check as u8
    }
}

/// Whether the six region digits look like a county-level code that was
/// issued to people. Without a year-by-year table of GB/T 2260 (not shipped)
/// this is structural: the prefecture part must be 01–70 or 90 (directly
/// administered counties) and a province itself (`xx0000`) is not a place of
/// registration, except the residence-permit codes 810000/820000/830000.
fn region_known(b: &[u8]) -> bool {
    let province = num(&b[..2]);
    let prefecture = num(&b[2..4]);
    let county = num(&b[4..6]);
    if matches!(province, 81..=83) {
        return prefecture == 0 && county == 0;
    }
    (1..=70).contains(&prefecture) || prefecture == 90
}

fn cn_ric(text: &str) -> Check {
    kept(text, u8::is_ascii_alphanumeric).map_or(Check::Fail, |id| ric(&id))
}

/// [`cn_ric`] of the number's letters and digits, upper-cased.
fn ric(b: &[u8]) -> Check {
    let province = match (b.first(), b.get(1)) {
        (Some(a), Some(c)) if a.is_ascii_digit() && c.is_ascii_digit() => {
            (a - b'0') * 10 + (c - b'0')
        }
        _ => return Check::Fail,
    };
    if b.len() == 18 && b[0] == b'9' {
        return foreign_permanent_residence(b);
    }
    if !PROVINCES.contains(&province) {
        return Check::Fail;
    }
    match b.len() {
        18 => {
            if !b[..17].iter().all(u8::is_ascii_digit) || b[17] != ric_check_char(b) {
                return Check::Fail;
            }
            if !real_birth_date(num(&b[6..10]), num(&b[10..12]), num(&b[12..14])) {
                return Check::Fail;
            }
            if region_known(b) {
                Check::Pass
            } else {
                Check::Unsure
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

/// The foreign permanent-residence ID card of 2023 (外国人永久居留身份证):
/// `9`, the two-digit province of the issuing office, a three-digit
/// nationality code (ISO 3166-1 numeric), the birth date, a three-digit
/// sequence and a GB 11643 check character.
fn foreign_permanent_residence(b: &[u8]) -> Check {
    if !b[..17].iter().all(u8::is_ascii_digit) || b[17] != ric_check_char(b) {
        return Check::Fail;
    }
    let office = num(&b[1..3]) as u8;
    let nationality = num(&b[3..6]);
    if !PROVINCES[..31].contains(&office) || !(4..=894).contains(&nationality) || nationality == 156
    {
        return Check::Fail;
    }
    if real_birth_date(num(&b[6..10]), num(&b[10..12]), num(&b[12..14])) {
        Check::Pass
    } else {
        Check::Fail
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

/// Byte → its value in [`USCC_ALPHABET`], or `u8::MAX`: the check runs on
/// every 18-character match of a roster.
const USCC_VALUE: [u8; 256] = {
    let mut t = [u8::MAX; 256];
    let mut i = 0;
    while i < USCC_ALPHABET.len() {
        t[USCC_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Registration authorities of GB 32100 (first character) with the
/// category codes each may use (second character).
const USCC_AUTHORITIES: &[(u8, &[u8])] = &[
    (b'1', b"1239"),   // 机构编制
    (b'2', b"19"),     // 外交
    (b'3', b"123459"), // 司法行政
    (b'4', b"19"),     // 文化
    (b'5', b"1239"),   // 民政
    (b'6', b"129"),    // 旅游
    (b'7', b"129"),    // 宗教
    (b'8', b"19"),     // 工会
    (b'9', b"123"),    // 工商（市场监管）
    (b'A', b"19"),     // 中央军委改革和编制办公室
    (b'N', b"12349"),  // 农业
    (b'Y', b"1"),      // 其他
];

/// Unified social credit code. `Pass` needs the whole GB 32100 structure:
/// a registration authority with one of its category codes, an
/// administrative-division code of a real province, the GB 11714
/// organisation-code check digit of characters 9–17, and the final check
/// character. A code with only the final check right (about one random
/// 18-digit number in 31) is `Weak`: reported next to a context word only.
fn cn_uscc(text: &str) -> Check {
    let Some(code) = kept(text, u8::is_ascii_alphanumeric) else {
        return Check::Fail;
    };
    let b: &[u8] = &code;
    if b.len() != 18 {
        return Check::Fail;
    }
    const W: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let mut sum = 0;
    for (&c, w) in b[..17].iter().zip(W) {
        match USCC_VALUE[usize::from(c)] {
            u8::MAX => return Check::Fail,
            v => sum += usize::from(v) * w,
        }
    }
    let check = USCC_ALPHABET[(31 - sum % 31) % 31];
    if b[17] != check {
        return Check::Fail;
    }
    // Some ID numbers also pass this check: the ID interpretation wins
    // (checked second: most 18-digit matches on a roster fail the above).
    if ric(b) != Check::Fail {
        return Check::Fail;
    }
    let authority_ok = USCC_AUTHORITIES
        .iter()
        .any(|(a, kinds)| *a == b[0] && kinds.contains(&b[1]));
    let division_ok = b[2..8].iter().all(u8::is_ascii_digit)
        && (PROVINCES[..31].contains(&(num(&b[2..4]) as u8)) || &b[2..8] == b"100000");
    if authority_ok && division_ok && org_code_ok(&b[8..17]) {
        Check::Pass
    } else {
        Check::Weak
    }
}

/// GB 11714 organisation code: 8 characters (digits, capital letters as
/// 10–35) and a check character (`X` for 10, `0` for 11).
fn org_code_ok(b: &[u8]) -> bool {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0;
    for (c, w) in b[..8].iter().zip(W) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        sum += v * w;
    }
    let expected = match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    };
    b[8] == expected
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

/// Issuer prefixes (IIN ranges) and the card lengths each issues, for the
/// schemes whose cards circulate in China: UnionPay, Visa, Mastercard, JCB,
/// Discover, and the pre-UnionPay domestic debit cards of the large banks
/// (9558 ICBC, 95599 ABC, …).
fn known_issuer(d: &[u8]) -> bool {
    let n = d.len();
    let p = |k: usize| num(&d[..k]);
    match d[0] {
        b'6' => {
            p(2) == 62 // UnionPay, 16–19
                || (p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3))) // Discover
        }
        b'4' => n == 16, // Visa (19-digit Visa cards are rare in China)
        b'5' => n == 16 && (51..=55).contains(&p(2)), // Mastercard
        b'2' => n == 16 && (2221..=2720).contains(&p(4)), // Mastercard 2-series
        b'3' => (3528..=3589).contains(&p(4)), // JCB, 16–19
        b'9' => p(4) == 9558 || p(5) == 95599 || p(4) == 9559,
        _ => false,
    }
}

/// A number that begins with a date of this century (`20YYMMDD`) is how
/// order, invoice and serial numbers are stamped; a card of the 2-series
/// Mastercard range that looks like one is left to context words.
fn date_stamped(d: &[u8]) -> bool {
    d.len() >= 8 && d[0] == b'2' && d[1] == b'0' && {
        let (m, day) = (num(&d[4..6]), num(&d[6..8]));
        (1..=12).contains(&m) && (1..=31).contains(&day)
    }
}

/// Bank cards: without a context word a number is reported only when it
/// passes Luhn *and* starts with a known issuer prefix for its length
/// (`Pass`); one failing either (some real cards fail Luhn; accounts of
/// rural banks have their own numbering) is `Weak`, reported only next to a
/// context word such as 银行卡 or 开户行, at low confidence.
fn bank_card(text: &str) -> Check {
    let Some(d) = kept(text, u8::is_ascii_digit) else {
        return Check::Fail;
    };
    if !(16..=19).contains(&d.len()) || d.iter().all(|&c| c == d[0]) {
        return Check::Fail;
    }
    // An ID number is not a card: the ID interpretation wins.
    if d.len() == 18 && ric(&d) != Check::Fail {
        return Check::Fail;
    }
    if luhn_ok(&d) && known_issuer(&d) && !date_stamped(&d) {
        Check::Pass
    } else {
        Check::Weak
    }
}

fn disability_cert(text: &str) -> Check {
    let Some(b) = kept(text, u8::is_ascii_alphanumeric) else {
        return Check::Fail;
    };
    if b.len() != 20 || !(b'1'..=b'7').contains(&b[18]) || !(b'1'..=b'4').contains(&b[19]) {
        return Check::Fail;
    }
    match ric(&b[..18]) {
        Check::Pass => Check::Pass,
        Check::Unsure => Check::Unsure,
        _ => Check::Fail,
    }
}

/// Mask characters accepted in de-identified numbers (after normalisation
/// full-width ＊ is `*`).
fn is_mask(c: u8) -> bool {
    c == b'*'
}

/// A masked ID number is the approved way to publish (e.g.
/// `5301**********1234`, 8 digits shown). It still reveals too much when it
/// shows more than 8 digits (`530102********1234`: only the birth date
/// masked; with a name, the county and sequence narrow it to a person) or
/// the whole birth date. Matches without any mask character fail.
fn masked_id(text: &str) -> Check {
    // Most matches on a roster are whole numbers, without a mask (and
    // `kept` keeps every mask character, so `b` below holds one).
    if !text.bytes().any(is_mask) {
        return Check::Fail;
    }
    let Some(b) = kept(text, |c| c.is_ascii_alphanumeric() || is_mask(*c)) else {
        return Check::Fail;
    };
    if b.len() != 18 || b.iter().all(|&c| is_mask(c)) {
        return Check::Fail;
    }
    let shown = b.iter().filter(|c| !is_mask(**c)).count();
    let birth_shown = b[6..14].iter().all(u8::is_ascii_digit);
    if shown > 8 || birth_shown {
        Check::Pass
    } else {
        Check::Fail
    }
}

/// A masked mobile (`138****5678`, 7 digits shown) is fine; one with fewer
/// than four digits masked still identifies the line.
fn masked_mobile(text: &str) -> Check {
    if !text.bytes().any(is_mask) {
        return Check::Fail;
    }
    let Some(b) = kept(text, |c| c.is_ascii_digit() || is_mask(*c)) else {
        return Check::Fail;
    };
    if b.len() != 11 || b[0] != b'1' {
        return Check::Fail;
    }
    if b.iter().filter(|c| c.is_ascii_digit()).count() > 7 {
        Check::Pass
    } else {
        Check::Fail
    }
}

fn cn_mobile(text: &str) -> Check {
    let Some(digits) = kept(text, u8::is_ascii_digit) else {
        return Check::Fail;
    };
    let b: &[u8] = &digits;
    let b = b
        .strip_prefix(b"0086")
        .or_else(|| b.strip_prefix(b"86"))
        .filter(|r| r.len() == 11)
        .unwrap_or(b);
    if b.len() != 11 || b[0] != b'1' {
        return Check::Fail;
    }
    let ok = match (b[1], b[2]) {
        (b'3' | b'8', _) => true,
        (b'4', b'5' | b'7') => true,
        (b'5' | b'9', x) => x != b'4',
        (b'6', b'2' | b'5' | b'6' | b'7') => true,
        (b'6', b'1') => b.starts_with(b"1610"),
        (b'7', b'0'..=b'3' | b'5'..=b'8') => true,
        (b'7', b'4') => b.starts_with(b"1740") && (b'0'..=b'5').contains(&b[4]),
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
    fn separators_are_dropped_and_overlong_candidates_fail() {
        // A user's pattern may hand a validator any text: separators and
        // other scripts are skipped, and more than KEPT_MAX letters and
        // digits is no identifier (not a panic, not a truncated check).
        assert_eq!(cn_ric("110105 1949 1231 002x"), Check::Pass);
        assert_eq!(cn_ric("身份证11010519491231002X号"), Check::Pass);
        let long = "11010519491231002X".repeat(3);
        for v in [
            Validator::CnRic,
            Validator::CnUscc,
            Validator::Luhn,
            Validator::CnDisabilityCert,
        ] {
            assert_eq!(v.check(&long), Check::Fail, "{}", v.name());
        }
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
        // Card-processor test numbers of each scheme.
        for ok in [
            "5555555555554444",
            "2223003122003222",
            "3530111333300000",
            "6011111111111117",
            "6212345678901265",
        ] {
            assert_eq!(bank_card(ok), Check::Pass, "{ok}");
        }
        // Luhn passes, but no issuer uses the prefix at that length.
        assert_eq!(bank_card("1234567812345670"), Check::Weak);
        assert_eq!(
            bank_card("510510510510510510"),
            Check::Weak,
            "MC is 16 digits"
        );
        // An order number stamped 2023-12-01 in the Mastercard 2-series range.
        assert_eq!(bank_card("2023120100000017"), Check::Weak);
    }

    #[test]
    fn ric_permits_and_foreign_ids() {
        assert_eq!(cn_ric("810000199001011230"), Check::Pass, "Hong Kong");
        assert_eq!(cn_ric("820000198512124568"), Check::Pass, "Macao");
        assert_eq!(cn_ric("83000020000229012X"), Check::Pass, "Taiwan");
        assert_eq!(cn_ric("911840198001010013"), Check::Pass, "foreign PR 2023");
        assert_eq!(cn_ric("911840198001010014"), Check::Fail, "check digit");
        assert_eq!(cn_ric("911560198001010011"), Check::Fail, "156 is China");
        // Well-formed but the region was never a place of registration.
        assert_eq!(cn_ric("110000199001010013"), Check::Unsure);
        assert_eq!(cn_ric("537101199001011231"), Check::Unsure);
        assert_eq!(cn_ric("530102199001011231"), Check::Pass);
    }

    #[test]
    fn uscc_structure() {
        // The right final check character, but 00 is no registration
        // authority with category: weak, context only.
        assert_eq!(cn_uscc("000000000000000000"), Check::Weak);
        assert!(org_code_ok(b"600037341"));
        assert!(org_code_ok(b"MA1K3BTP2"));
        assert!(!org_code_ok(b"MA1K3BTP3"));
    }

    #[test]
    fn masked_vectors() {
        assert_eq!(
            masked_id("5301**********1234"),
            Check::Fail,
            "approved form"
        );
        assert_eq!(
            masked_id("530102********1234"),
            Check::Pass,
            "only the birth date masked"
        );
        assert_eq!(
            masked_id("******19491231****"),
            Check::Pass,
            "birth date shown"
        );
        assert_eq!(masked_id("11010519491231002x"), Check::Fail, "not masked");
        assert_eq!(masked_mobile("138****5678"), Check::Fail);
        assert_eq!(masked_mobile("1381234*678"), Check::Pass);
        assert_eq!(disability_cert("11010519491231002x42"), Check::Pass);
        assert_eq!(disability_cert("11010519491231002x82"), Check::Fail);
        assert_eq!(disability_cert("11010519491231002y42"), Check::Fail);
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
