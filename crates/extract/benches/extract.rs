//! Throughput of `extract` against html5ever's tokenizer with a sink that does
//! nothing (our floor), on the same pages. Run by `scripts/bench-extract.sh`:
//!
//! `extract-bench --engine extract|tokenizer|paired --seconds N FILE...`
//!
//! `paired` runs extract and the tokenizer in turns (one pass over the files each)
//! in one process and prints a line for each: their ratio is then measured side by
//! side, under the same load, which separate runs on a shared machine are not.
//!
//! `--rounds N` runs exactly N passes over the files instead of timing, so that
//! an instruction counter (`valgrind --tool=callgrind`) sees a repeatable workload.
//!
//! `--engine dump` prints each page's outcome as JSON instead (one line per page),
//! and `--engine dump-prices` reads each file as tab-separated `hint, text` lines
//! (the price-string corpus) and prints `parse_price`'s result for each: the
//! outputs of two builds can be diffed to show that an optimisation changed nothing.
//!
//! Otherwise prints one JSON line: engine, pages, bytes, seconds, pages/s, MB/s.
//! `seconds` is the CPU time this thread spent (`/proc/self/schedstat`, wall time
//! where that is missing), so that on a shared machine the figures do not count the
//! time other processes held the core; `wall_seconds` is the elapsed time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use pricewatch_extract::price::parse_price;
use pricewatch_extract::{ExtractContext, extract};

struct NoopSink;

impl TokenSink for NoopSink {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        black_box(token);
        TokenSinkResult::Continue
    }
}

/// The floor: decode as UTF-8 (lossy, like `extract` does for UTF-8 pages) and tokenize.
fn tokenize_only(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let tokenizer = Tokenizer::new(NoopSink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(&text));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
}

/// What one engine did: pages, bytes, and the CPU and wall seconds it took.
#[derive(Clone, Default)]
struct Totals {
    pages: u64,
    bytes: u64,
    cpu: f64,
    wall: f64,
}

/// CPU time of this thread in seconds, from the scheduler's own accounting (ns).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut engine = String::from("extract");
    let mut seconds = 5.0_f64;
    let mut rounds: Option<u64> = None;
    let mut files = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--engine" => engine = args.next().ok_or("--engine needs a value")?,
            "--seconds" => seconds = args.next().ok_or("--seconds needs a value")?.parse()?,
            "--rounds" => rounds = Some(args.next().ok_or("--rounds needs a value")?.parse()?),
            "--bench" => {}
            other => files.push(other.to_owned()),
        }
    }
    let pages: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    if pages.is_empty() {
        return Err("no pages given".into());
    }
    let ctx = ExtractContext {
        url: Some("https://shop.example.com/p/1"),
        ..ExtractContext::default()
    };
    if engine == "dump" {
        for (file, page) in files.iter().zip(&pages) {
            let outcome = serde_json::to_string(&extract(page, &ctx))?;
            println!("{file}\t{outcome}");
        }
        return Ok(());
    }
    if engine == "dump-prices" {
        let none = |v: &str| (v != "\\N").then(|| v.to_owned());
        for page in &pages {
            for line in String::from_utf8_lossy(page).lines() {
                let mut cols = line.split('\t').skip(1);
                let (hint, text) = (cols.next().and_then(none), cols.next().and_then(none));
                let parsed = parse_price(text.as_deref().unwrap_or(""), hint.as_deref());
                println!("{line}\t{}", serde_json::to_string(&parsed)?);
            }
        }
        return Ok(());
    }
    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    // `paired`: extract and the tokenizer take turns, one pass over the files each,
    // in one process, so that a slower or faster spell of a shared machine falls on
    // both alike; each engine's figure sums the CPU time of its own passes.
    let engines: &[&str] = match engine.as_str() {
        "paired" => &["extract", "tokenizer"],
        "tokenizer" => &["tokenizer"],
        _ => &["extract"],
    };
    let mut totals = vec![Totals::default(); engines.len()];
    let mut done = 0u64;
    while rounds.map_or(started.elapsed() < budget, |n| done < n) {
        done += 1;
        for (name, total) in engines.iter().zip(totals.iter_mut()) {
            let cpu_started = cpu_seconds();
            let pass_started = Instant::now();
            for page in &pages {
                if *name == "tokenizer" {
                    tokenize_only(page);
                } else {
                    black_box(extract(page, &ctx));
                }
                total.pages += 1;
                total.bytes += u64::try_from(page.len())?;
            }
            let wall = pass_started.elapsed().as_secs_f64();
            total.wall += wall;
            total.cpu += match (cpu_started, cpu_seconds()) {
                (Some(a), Some(b)) if b > a => b - a,
                _ => wall,
            };
        }
    }
    for (name, total) in engines.iter().zip(&totals) {
        let (pages, mb) = (total.pages as f64, total.bytes as f64 / 1_000_000.0);
        println!(
            "{{\"engine\":\"{name}\",\"pages\":{},\"bytes\":{},\"seconds\":{:.3},\"wall_seconds\":{:.3},\"pages_per_s\":{:.1},\"mb_per_s\":{:.2}}}",
            total.pages,
            total.bytes,
            total.cpu,
            total.wall,
            pages / total.cpu,
            mb / total.cpu
        );
    }
    Ok(())
}
