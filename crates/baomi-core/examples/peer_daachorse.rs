//! Peer for `benches/compare.sh`: counts all overlapping keyword matches
//! with daachorse's char-wise double-array Aho-Corasick (no normalisation,
//! no locations), as a fast plain matcher of our own kind.
//!
//! `cargo run --release -p baomi-core --example peer_daachorse -- KEYWORDS TEXT`

use daachorse::CharwiseDoubleArrayAhoCorasick;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: peer_daachorse KEYWORDS TEXT");
        std::process::exit(2);
    }
    let words: Vec<String> = std::fs::read_to_string(&args[1])
        .expect("keywords")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let text = std::fs::read_to_string(&args[2]).expect("text");
    let pma: CharwiseDoubleArrayAhoCorasick<u32> =
        CharwiseDoubleArrayAhoCorasick::new(&words).expect("automaton");
    println!("{}", pma.find_overlapping_iter(&text).count());
}
