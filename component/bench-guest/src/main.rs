//! Prints `sequence_us_per_op crypto_us_per_op` (medians of 7 rounds) for the bench.

fn main() {
    let mut seq: Vec<f64> =
        (0..7).map(|_| fichier_bench_guest::sequence().as_secs_f64() * 1e6 / fichier_bench_guest::OPS as f64).collect();
    let mut cry: Vec<f64> = (0..7).map(|_| fichier_bench_guest::crypto(2000).as_secs_f64() * 1e6 / 2000.0).collect();
    seq.sort_by(f64::total_cmp);
    cry.sort_by(f64::total_cmp);
    println!("{:.3} {:.3}", seq[3], cry[3]);
}
