//! Scores `parse_price` on two corpora never used while developing it: the
//! labelled examples of the test suites of nine other price/money parsing or
//! formatting libraries (npm, PyPI, Debian; `fixtures/price_strings/held_out/`),
//! and price texts cut from real sites' pages, labelled by hand
//! (`fixtures/price_strings/real_world/`). Their READMEs give the sources and
//! the rules by which texts were kept and labelled.

use std::collections::BTreeMap;
use std::str::FromStr;

use pricewatch_extract::price::parse_price;
use rust_decimal::Decimal;

const CORPUS: &str = include_str!("../fixtures/price_strings/held_out/held_out_corpus.tsv");

/// The floor this corpus must stay above, in hundredths of a percent: 342 of 350
/// (97.71%). Untuned first scores: 180 of the first 197 (91.37%, then 193 after
/// fixes), 149 of the 153 added later (97.39%). The misses left are in the README.
const FLOOR_BASIS_POINTS: usize = 9_770;

fn field(raw: &str) -> Option<String> {
    (raw != "\\N").then(|| {
        raw.replace("\\t", "\t")
            .replace("\\n", "\n")
            .replace("\\\\", "\\")
    })
}

#[test]
fn amounts_are_right_on_the_held_out_corpus() {
    score(
        "held-out price corpus",
        CORPUS,
        350,
        FLOOR_BASIS_POINTS,
        true,
    );
}

/// The real-world corpus: price texts cut from 954 pages of real sites saved by
/// the formasaurus project, labelled by hand before `parse_price` read them. See
/// `fixtures/price_strings/real_world/README.md`.
const REAL_WORLD: &str = include_str!("../fixtures/price_strings/real_world/real_world_corpus.tsv");

/// Floor for the real-world corpus, in hundredths of a percent: 1,512 of 1,537
/// (98.37%); its first score was 1,492 (97.07%), see its README.
const REAL_WORLD_FLOOR_BASIS_POINTS: usize = 9_837;

/// The second real-world set: each site's next 25 texts after the first set's,
/// labelled and scored only after every change the first set prompted: 582 of
/// 583 (99.83%) at its first score.
const REAL_WORLD_2: &str =
    include_str!("../fixtures/price_strings/real_world/real_world_corpus_2.tsv");
const REAL_WORLD_2_FLOOR_BASIS_POINTS: usize = 9_982;

#[test]
fn amounts_are_right_on_the_second_real_world_set() {
    score(
        "real-world price corpus, second set",
        REAL_WORLD_2,
        583,
        REAL_WORLD_2_FLOOR_BASIS_POINTS,
        false,
    );
}

#[test]
fn amounts_are_right_on_the_real_world_corpus() {
    score(
        "real-world price corpus",
        REAL_WORLD,
        1_537,
        REAL_WORLD_FLOOR_BASIS_POINTS,
        false,
    );
}

/// Reads a corpus (group, hint, text, currency, amount; `\N` for none), prints
/// the score and every miss, and fails below `floor` hundredths of a percent.
fn score(name: &str, corpus: &str, min_total: usize, floor: usize, by_groups: bool) {
    let mut total = 0usize;
    let mut ok = 0usize;
    let mut misses = Vec::new();
    let mut by_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for line in corpus.lines().filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "bad corpus line {line:?}");
        let (group, hint, text) = (cols[0], field(cols[1]), field(cols[2]));
        let want = field(cols[4]).map(|a| Decimal::from_str(&a).unwrap());
        let parsed = parse_price(text.as_deref().unwrap_or(""), hint.as_deref());
        total += 1;
        let group_score = by_group.entry(group).or_default();
        group_score.1 += 1;
        // Same number, however written (`10.380,5` is 10380.5 = 10380.50).
        if parsed.amount.map(|a| a.normalize()) == want.map(|a| a.normalize()) {
            ok += 1;
            group_score.0 += 1;
        } else {
            misses.push(format!(
                "[{group}] {text:?}: got {:?}, want {want:?}",
                parsed.amount
            ));
        }
    }
    assert!(total >= min_total, "{name} has {total} examples");
    println!(
        "{name}: amount {ok}/{total} = {:.2}%",
        ok as f64 * 100.0 / total as f64
    );
    if by_groups {
        for (group, (group_ok, group_total)) in &by_group {
            println!(
                "  {group}: {group_ok}/{group_total} = {:.2}%",
                *group_ok as f64 * 100.0 / *group_total as f64
            );
        }
    }
    for m in &misses {
        println!("  amount miss {m}");
    }
    assert!(ok * 10_000 >= total * floor, "{} misses", misses.len());
}
