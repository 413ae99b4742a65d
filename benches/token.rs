//! Cost of verifying a bearer token before the database: parse (prefix, alphabet, CRC32
//! checksum) and SHA-256. Run with `cargo bench --bench token`.

use std::hint::black_box;
use std::time::Instant;

use reef::tokens::TokenSecret;

fn main() {
    let secret = TokenSecret::generate();
    let raw = secret.expose().to_owned();
    let mut junk = raw.clone().into_bytes();
    junk[20] = if junk[20] == b'a' { b'b' } else { b'a' };
    let junk = String::from_utf8(junk).unwrap_or_default();
    let rounds = 1_000_000u32;

    let started = Instant::now();
    for _ in 0..rounds {
        let parsed = TokenSecret::parse(black_box(&raw));
        black_box(parsed.map(|s| s.hash()));
    }
    let valid = started.elapsed() / rounds;

    let started = Instant::now();
    for _ in 0..rounds {
        black_box(TokenSecret::parse(black_box(&junk)));
    }
    let rejected = started.elapsed() / rounds;

    println!("parse + checksum + SHA-256 of a valid token: {valid:?} per token");
    println!("rejecting a mistyped token (checksum, no hash, no database): {rejected:?} per token");
}
