//! Identifier precision, measured on generated numbers: grouped ID layouts
//! are found, random 18-digit numbers and order numbers are not reported as
//! bank cards or credit codes (< 1 %), masked numbers in the approved form
//! are not reported while under-masked ones are. The generator is a fixed
//! xorshift, so every run measures the same numbers.

use baomi_core::{Confidence, Scanner};
use std::sync::OnceLock;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(Scanner::shipped)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

fn rules_hit(text: &str) -> Vec<String> {
    scanner()
        .scan(text)
        .findings
        .iter()
        .map(|f| f.rule.to_string())
        .collect()
}

fn ric(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = first17
        .bytes()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let c = (12 - s % 11) % 11;
    format!(
        "{first17}{}",
        if c == 10 {
            'X'
        } else {
            (b'0' + c as u8) as char
        }
    )
}

/// Valid ID numbers with real county codes.
fn valid_ids(n: usize, rng: &mut Rng) -> Vec<String> {
    const REGIONS: &[&str] = &[
        "110105", "440113", "321083", "530102", "510104", "420106", "330106", "370202", "610113",
        "230103", "650102", "450102", "520102", "360102", "130104", "410105",
    ];
    (0..n)
        .map(|_| {
            let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
            let date = format!(
                "{}{:02}{:02}",
                1940 + rng.below(80),
                1 + rng.below(12),
                1 + rng.below(28)
            );
            ric(&format!("{region}{date}{}", rng.digits(3)))
        })
        .collect()
}

#[test]
fn grouped_ids_are_found() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let ids = valid_ids(32, &mut rng);
    let mut found = [0usize; 3];
    for id in &ids {
        let fours = format!(
            "{} {} {} {} {}",
            &id[..4],
            &id[4..8],
            &id[8..12],
            &id[12..16],
            &id[16..]
        );
        let dashed = fours.replace(' ', "-");
        let six_eight_four = format!("{} {} {}", &id[..6], &id[6..14], &id[14..]);
        for (i, text) in [fours, dashed, six_eight_four].iter().enumerate() {
            let hits = rules_hit(&format!("申请人身份证号：{text}，"));
            if hits.iter().any(|r| r == "personal.id-card") {
                found[i] += 1;
            }
            assert!(
                !hits.iter().any(|r| r == "personal.bank-card"),
                "{text}: an ID is not a bank card"
            );
        }
    }
    println!(
        "grouped IDs found: 4-digit groups {}/32, dashed groups {}/32, 6-8-4 {}/32",
        found[0], found[1], found[2]
    );
    assert_eq!(found, [32, 32, 32]);
}

fn rate(hits: usize, n: usize) -> f64 {
    100.0 * hits as f64 / n as f64
}

#[test]
fn random_numbers_are_rarely_cards_or_credit_codes() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let n = 3000;
    let (mut card, mut uscc, mut id) = (0, 0, 0);
    for _ in 0..n {
        let number = format!("{}{}", 1 + rng.below(9), rng.digits(17));
        let hits = rules_hit(&format!("编号：{number}。"));
        card += hits.iter().filter(|r| *r == "personal.bank-card").count();
        uscc += hits.iter().filter(|r| *r == "org.uscc").count();
        id += hits.iter().filter(|r| *r == "personal.id-card").count();
    }
    println!(
        "random 18-digit numbers ({n}): bank card {card} ({:.2} %), credit code {uscc} ({:.2} %), ID {id} ({:.2} %)",
        rate(card, n),
        rate(uscc, n),
        rate(id, n)
    );
    assert!(rate(card, n) < 1.0 && rate(uscc, n) < 1.0 && rate(id, n) < 1.0);
}

/// Order numbers as shops, platforms and payment systems print them: a
/// timestamp plus a sequence (16–19 digits), and platform numbers of 18–19
/// random digits.
#[test]
fn order_numbers_are_not_cards() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let n = 2000;
    let mut card = 0;
    for i in 0..n {
        let number = if i % 2 == 0 {
            let stamp = format!(
                "20{:02}{:02}{:02}{:02}{:02}{:02}",
                18 + rng.below(8),
                1 + rng.below(12),
                1 + rng.below(28),
                rng.below(24),
                rng.below(60),
                rng.below(60)
            );
            let extra = 2 + rng.below(4) as usize;
            format!("{stamp}{}", rng.digits(extra))
        } else {
            let len = 18 + rng.below(2) as usize;
            format!("{}{}", 1 + rng.below(5), rng.digits(len - 1))
        };
        let hits = rules_hit(&format!("订单号：{number}，已发货"));
        card += hits.iter().filter(|r| *r == "personal.bank-card").count();
    }
    println!(
        "order numbers ({n}): reported as bank card {card} ({:.2} %)",
        rate(card, n)
    );
    assert!(rate(card, n) < 1.0);
}

#[test]
fn permits_and_foreign_ids_are_identity_numbers() {
    for text in [
        "港澳居民居住证号码：810000199001011230",
        "820000198512124568",
        "台湾居民居住证 83000020000229012X",
        "外国人永久居留身份证号码911840198001010013",
    ] {
        assert!(
            rules_hit(text).iter().any(|r| r == "personal.id-card"),
            "{text}"
        );
    }
}

#[test]
fn an_unknown_region_lowers_confidence() {
    let f = scanner().scan("身份证号：110000199001010013");
    let id = f
        .findings
        .iter()
        .find(|f| &*f.rule == "personal.id-card")
        .unwrap();
    assert_eq!(
        id.confidence,
        Confidence::Medium,
        "hotword, but region 110000"
    );
    let f = scanner().scan("身份证号：530102199001011231");
    assert_eq!(f.findings[0].confidence, Confidence::High);
}

#[test]
fn masked_numbers_in_the_approved_form_are_clear() {
    for text in [
        "张*，身份证号5301**********1234，电话138****5678",
        "3\t李**\t女\t530102**********34\t139****0000",
        "王*  110***********002X",
    ] {
        assert_eq!(rules_hit(text), Vec::<String>::new(), "{text}");
    }
    assert_eq!(
        rules_hit("张*，身份证号530102********1234"),
        ["personal.id-card-undermasked"]
    );
    assert_eq!(
        rules_hit("联系电话1381234*678"),
        ["personal.mobile-undermasked"]
    );
}
