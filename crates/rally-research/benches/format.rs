//! The export's number formatter (`%.17g`) on the magnitudes a research
//! export writes: prices, features, probabilities, equity.

use criterion::{Criterion, criterion_group, criterion_main};
use rally_research::format::push_g17;
use std::hint::black_box;

fn values(n: usize) -> Vec<f64> {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            match i % 4 {
                0 => 10.0 + 490.0 * u,      // a price
                1 => u,                     // a probability
                2 => 100_000.0 * (0.5 + u), // equity
                _ => (u - 0.5) * 4.0,       // a standardised feature
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let xs = values(10_000);
    let mut out = Vec::with_capacity(xs.len() * 24);
    c.bench_function("g17_10k", |b| {
        b.iter(|| {
            out.clear();
            for &x in &xs {
                push_g17(&mut out, black_box(x));
                out.push(b',');
            }
            black_box(out.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
