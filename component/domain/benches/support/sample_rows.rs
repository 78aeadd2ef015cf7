//! The generated WooCommerce-like export both import benches read (this crate's native
//! one, and the host's through the component, which includes this file by path).

use std::fmt::Write as _;

/// A header and `n` customers (deterministic).
pub fn woocommerce_csv(n: usize) -> String {
    let first = ["Anne", "Bruno", "Chloé", "Denis", "Émilie", "François", "Gaëlle", "Hugo", "Inès", "Jules"];
    let last = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"];
    let places = [
        ("75011", "Paris"),
        ("69002", "Lyon"),
        ("13001", "Marseille"),
        ("33000", "Bordeaux"),
        ("97110", "Pointe-à-Pitre"),
    ];
    let mut s = String::from(
        "customer_id,billing_first_name,billing_last_name,billing_email,billing_phone,billing_address_1,billing_postcode,billing_city,billing_country\n",
    );
    for i in 0..n {
        let (pc, city) = places[i % places.len()];
        let _ = writeln!(
            s,
            "{i},{},{},client{i}@example.org,06{:08},{} rue de la République,{pc},{city},FR",
            first[i % 10],
            last[(i / 10) % 10],
            (i * 7919) % 100_000_000,
            i % 300 + 1
        );
    }
    s
}
