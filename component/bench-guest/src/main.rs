//! Prints `sequence_us_per_op crypto_us_per_op check_us_per_op` for the bench: the minimum of
//! `FICHIER_BENCH_ROUNDS` rounds (default 7).

fn main() {
    let rounds: usize = std::env::var("FICHIER_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(7).max(1);
    let per_op = |d: std::time::Duration, n: usize| d.as_secs_f64() * 1e6 / n as f64;
    let seq = (0..rounds).map(|_| fichier_bench_guest::sequence()).min().unwrap_or_default();
    let cry = (0..rounds).map(|_| fichier_bench_guest::crypto(2000)).min().unwrap_or_default();
    let chk = (0..rounds).map(|_| fichier_bench_guest::check(2000)).min().unwrap_or_default();
    println!("{:.3} {:.3} {:.3}", per_op(seq, fichier_bench_guest::OPS), per_op(cry, 2000), per_op(chk, 2000));
}
