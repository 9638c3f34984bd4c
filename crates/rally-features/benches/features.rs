//! Feature computation for one ~6,700-bar ticker of the synthetic market.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use rally_data::{SyntheticSource, VIX_TICKER, align_asof};
use rally_features::{FeatureFrame, pctrank};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let src = SyntheticSource::new(42);
    let s = src.series("SPY");
    let vix = src.series(VIX_TICKER);
    let v = align_asof(&s.dates, &vix.dates, &vix.close);
    c.bench_function(&format!("feature_frame_{}_bars", s.len()), |b| {
        b.iter(|| FeatureFrame::compute(black_box(&s.high), &s.low, &s.close, &s.volume, &v))
    });
    c.bench_function(&format!("pctrank_252_{}_bars", s.len()), |b| {
        b.iter(|| pctrank(black_box(&s.close), 252))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
