//! Duplicate detection at scale: planted duplicates of every reason are all found among many
//! generated records, and the blocked search agrees with comparing every pair.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use fichier_domain::customers::duplicates::{Candidate, Pair, Reason, email_similarity, find};

/// A deterministic generator (tests only).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Syllables for generated names (about 1 000 given names and 40 000 family names, a few
/// accented, as a French file has).
const SYLLABLES: [&str; 32] = [
    "ma", "ri", "jé", "rô", "lo", "ïc", "an", "na", "ël", "le", "ga", "ll", "du", "pon", "mar", "tin", "be", "ran",
    "ger", "fon", "tai", "ne", "rou", "sseau", "mo", "reau", "gi", "rard", "lam", "bert", "ché", "vre",
];
const DOMAINS: [&str; 12] = [
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "hotmail.fr",
    "orange.fr",
    "free.fr",
    "yahoo.fr",
    "laposte.net",
    "sfr.fr",
    "outlook.fr",
    "wanadoo.fr",
    "icloud.com",
];

fn ascii_lower(s: &str) -> String {
    fichier_domain::customers::normalize::fold(s).replace(' ', "")
}

/// A random, plausible record.
fn record(rng: &mut Lcg, subject: String) -> Candidate {
    let word = |rng: &mut Lcg, n: usize| -> String {
        let w: String = (0..n).map(|_| rng.pick(&SYLLABLES)).collect();
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
    };
    let given = word(rng, 2);
    let family = word(rng, 3);
    let (given, family) = (given.as_str(), family.as_str());
    let sep = rng.pick(&[".", "_", "-", "", "."]);
    let digits = match rng.below(3) {
        0 => String::new(),
        _ => rng.below(100_000).to_string(),
    };
    let mut letters = |n: usize| -> String { (0..n).map(|_| char::from(b'a' + rng.below(26) as u8)).collect() };
    let (company, initials) = (letters(8), letters(2));
    let domain = if rng.below(10) == 0 { format!("{company}.fr") } else { rng.pick(&DOMAINS).into() };
    let local = format!("{}{sep}{}{initials}{digits}", ascii_lower(given), ascii_lower(family));
    Candidate {
        subject,
        email: Some(format!("{local}@{domain}")),
        phone: Some(format!("+336{:08}", rng.below(100_000_000))),
        given_name: Some(given.into()),
        family_name: Some(family.into()),
        postal_code: Some(format!("{:05}", 1_000 + rng.below(94_000))),
    }
}

/// One to two edits of an address that `email_similarity` accepts, or `None`.
fn mutate(rng: &mut Lcg, email: &str, kind: usize) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    let mut l: Vec<char> = local.chars().collect();
    let mut d: Vec<char> = domain.chars().collect();
    let letter = || char::from(b'a' + (kind * 7 % 26) as u8);
    let edit = |rng: &mut Lcg, s: &mut Vec<char>, op: usize| {
        let i = rng.below(s.len());
        match op % 4 {
            0 => s[i] = letter(),
            1 if i + 1 < s.len() => s.swap(i, i + 1),
            2 if s.len() > 1 => {
                s.remove(i);
            }
            _ => s.insert(i, letter()),
        }
    };
    let (op1, op2) = (rng.below(4), rng.below(4));
    match kind % 8 {
        0..=3 => edit(rng, &mut l, kind),
        4 => {
            edit(rng, &mut l, op1);
            edit(rng, &mut l, op2);
        }
        5 => edit(rng, &mut d, op1),
        6 => {
            edit(rng, &mut l, op1);
            edit(rng, &mut d, op2);
        }
        _ => l.extend("+promo".chars()),
    }
    let out = format!("{}@{}", l.iter().collect::<String>(), d.iter().collect::<String>());
    email_similarity(email, &out).map(|_| out)
}

/// Builds `n` records with `planted` duplicates of each reason; returns them with the planted
/// pairs (a, b, reason).
fn generate(n: usize, planted: usize) -> (Vec<Candidate>, Vec<(String, String, Reason)>) {
    let mut rng = Lcg(2026);
    let base = n - 4 * planted;
    let mut cands: Vec<Candidate> = (0..base).map(|i| record(&mut rng, format!("c{i:06}"))).collect();
    let mut want = Vec::new();
    let reasons = [Reason::SameEmail, Reason::SamePhone, Reason::SameNamePostalCode, Reason::SimilarEmail];
    for (r, reason) in reasons.into_iter().enumerate() {
        let mut k = 0;
        while k < planted {
            let src = cands[rng.below(base)].clone();
            let subject = format!("c{:06}", cands.len());
            let mut c = record(&mut rng, subject.clone());
            match reason {
                Reason::SameEmail => c.email = src.email.clone(),
                Reason::SamePhone => c.phone = src.phone.clone(),
                Reason::SameNamePostalCode => {
                    c.given_name = src.given_name.as_deref().map(str::to_uppercase);
                    c.family_name = src.family_name.as_deref().map(fichier_domain::customers::normalize::fold);
                    c.postal_code = src.postal_code.clone();
                }
                Reason::SimilarEmail => {
                    let Some(e) = mutate(&mut rng, src.email.as_deref().unwrap(), k + r) else { continue };
                    c.email = Some(e);
                }
            }
            want.push((src.subject.clone(), subject, reason));
            cands.push(c);
            k += 1;
        }
    }
    (cands, want)
}

fn check_planted(n: usize, planted: usize) {
    let (cands, want) = generate(n, planted);
    assert_eq!(cands.len(), n);
    let start = Instant::now();
    let found = find(&cands);
    let elapsed = start.elapsed();
    let mut per_reason: BTreeMap<Reason, usize> = BTreeMap::new();
    for p in &found {
        *per_reason.entry(p.reason).or_default() += 1;
    }
    eprintln!("{n} candidates: {} pairs {per_reason:?} in {elapsed:?}", found.len());
    let found_set: BTreeSet<(&str, &str, Reason)> =
        found.iter().map(|p| (p.a.as_str(), p.b.as_str(), p.reason)).collect();
    for (a, b, reason) in &want {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        assert!(found_set.contains(&(a.as_str(), b.as_str(), *reason)), "missed {a} {b} {reason:?}");
    }
    for w in found.windows(2) {
        assert!((w[0].reason, &w[0].a, &w[0].b) < (w[1].reason, &w[1].a, &w[1].b), "sorted, no duplicates");
    }
    for p in found.iter().filter(|p| p.reason == Reason::SimilarEmail) {
        let email = |s: &str| cands.iter().find(|c| c.subject == s).and_then(|c| c.email.clone()).unwrap();
        if p.a.ends_with('0') {
            assert_eq!(p.distance, email_similarity(&email(&p.a), &email(&p.b)));
        }
    }
}

#[test]
fn planted_duplicates_are_found_20k() {
    check_planted(20_000, 200);
}

#[test]
#[ignore = "100 000 candidates: run with --ignored (or --release)"]
fn planted_duplicates_are_found_100k() {
    check_planted(100_000, 300);
}

/// On dense, adversarial data (a tiny alphabet, near domains), the blocked search finds every
/// pair that comparing all pairs finds, but those whose edits move the `@`.
#[test]
fn blocking_agrees_with_all_pairs() {
    let mut rng = Lcg(7);
    let alphabet = ['a', 'b', 'c', 'd', '.', '1', '@'];
    let letters = |rng: &mut Lcg, n: usize| -> Vec<char> { (0..n).map(|_| alphabet[rng.below(6)]).collect() };
    let seeds: Vec<Vec<char>> = (0..25)
        .map(|_| {
            let (l, d) = (1 + rng.below(14), 1 + rng.below(20));
            let mut s = letters(&mut rng, l);
            s.push('@');
            s.extend(letters(&mut rng, d));
            s.extend(".fr".chars());
            s
        })
        .collect();
    let mut cands = Vec::new();
    for i in 0..1_000 {
        let mut s = seeds[rng.below(seeds.len())].clone();
        for _ in 0..rng.below(4) {
            let k = rng.below(s.len());
            let c = alphabet[rng.below(alphabet.len())];
            match rng.below(4) {
                0 => s[k] = c,
                1 if k + 1 < s.len() => s.swap(k, k + 1),
                2 if s.len() > 1 => {
                    s.remove(k);
                }
                _ => s.insert(k, c),
            }
        }
        if rng.below(10) == 0
            && let Some(at) = s.iter().rposition(|&c| c == '@')
        {
            s.insert(at, '+');
            s.insert(at + 1, 't');
        }
        cands.push(Candidate {
            subject: format!("s{i:04}"),
            email: Some(s.into_iter().collect()),
            phone: None,
            given_name: None,
            family_name: None,
            postal_code: None,
        });
    }
    let found: BTreeMap<(String, String), Option<u32>> = find(&cands)
        .into_iter()
        .filter(|p: &Pair| p.reason == Reason::SimilarEmail)
        .map(|p| ((p.a, p.b), p.distance))
        .collect();
    let mut naive = BTreeMap::new();
    let mut allowed_misses = 0;
    for (i, x) in cands.iter().enumerate() {
        for y in &cands[i + 1..] {
            let (ex, ey) = (x.email.as_deref().unwrap(), y.email.as_deref().unwrap());
            if ex == ey {
                continue;
            }
            if let Some(d) = email_similarity(ex, ey) {
                let key = (x.subject.clone(), y.subject.clone());
                if !found.contains_key(&key) {
                    let (lx, dx) = ex.rsplit_once('@').unwrap();
                    let (ly, dy) = ey.rsplit_once('@').unwrap();
                    let split = strsim::osa_distance(lx, ly) + strsim::osa_distance(dx, dy);
                    assert!(split > d as usize, "missed {ex} {ey} ({d})");
                    allowed_misses += 1;
                    continue;
                }
                naive.insert(key, Some(d));
            }
        }
    }
    eprintln!("{} similar pairs, {allowed_misses} missed across the @", naive.len());
    assert!(naive.len() > 1_000, "the data is dense enough to test something");
    assert_eq!(found, naive);
}
