//! Throughput of the CSCV probability of backtest overfitting at the size the
//! reports use: ~8,000 daily rows, 30 configurations, 16 blocks (12,870 splits).

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use std::hint::black_box;

/// LCG noise of daily-return size (uniform; the distribution is irrelevant
/// to the cost).
fn synthetic_returns(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut s = seed;
    Array2::from_shape_fn((rows, cols), |_| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64 - 0.5) * 0.02
    })
}

fn bench(c: &mut Criterion) {
    let m = synthetic_returns(8000, 30, 42);
    c.bench_function("pbo_8000x30_s16", |b| {
        b.iter(|| rally_stats::pbo(black_box(m.view()), rally_stats::DEFAULT_BLOCKS))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
