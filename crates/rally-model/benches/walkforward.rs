//! One full walk-forward and one live-model training of a ~6,700-bar
//! synthetic ticker (features precomputed, as in the pipeline).
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use rally_data::{SyntheticSource, VIX_TICKER, align_asof};
use rally_features::FeatureFrame;
use rally_model::live::train_live;
use rally_model::walkforward::{TickerInputs, walk_forward};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let src = SyntheticSource::new(42);
    let s = src.series("SPY");
    let vix = src.series(VIX_TICKER);
    let v = align_asof(&s.dates, &vix.dates, &vix.close);
    let frame = FeatureFrame::compute(&s.high, &s.low, &s.close, &s.volume, &v);
    let obs = rally_hmm::observations(&s.high, &s.low, &s.close);
    let inp = TickerInputs {
        dates: &s.dates,
        high: &s.high,
        low: &s.low,
        close: &s.close,
        frame: &frame,
        obs: &obs,
    };
    let mut g = c.benchmark_group("model");
    g.sample_size(10);
    g.bench_function(format!("walk_forward_{}_bars", s.len()), |b| {
        b.iter(|| walk_forward(black_box(&inp)))
    });
    g.bench_function(format!("live_model_{}_bars", s.len()), |b| {
        b.iter(|| train_live(black_box(&inp)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
