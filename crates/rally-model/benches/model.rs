//! Benchmarks: LR fit on 1,000 x 13 synthetic data (default path, pure
//! Newton, L-BFGS-heavy) and isotonic fit on 250 points.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rally_model::{Isotonic, LogisticOptions, fit_logistic, fit_logistic_with, sigmoid};

/// Deterministic LCG uniforms in [0, 1).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

fn lr_data(n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut r = Lcg(2024);
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let mut z = -0.7;
        for j in 0..d {
            let v = (r.next() - 0.5) * 3.4;
            z += v * ((j % 5) as f64 - 2.0) * 0.15;
            x.push(v);
        }
        y.push(if r.next() < sigmoid(z) { 1.0 } else { 0.0 });
    }
    (x, y)
}

fn bench_lr(c: &mut Criterion) {
    let (x, y) = lr_data(1000, 13);
    let mut g = c.benchmark_group("logistic_1000x13");
    g.bench_function("default (argmin <=3 it + Newton)", |b| {
        b.iter(|| fit_logistic(black_box(&x), 13, black_box(&y), 1.0).unwrap())
    });
    let newton = LogisticOptions {
        lbfgs_max_iters: 0,
        ..LogisticOptions::default()
    };
    g.bench_function("pure Newton", |b| {
        b.iter(|| fit_logistic_with(black_box(&x), 13, black_box(&y), 1.0, &newton).unwrap())
    });
    let heavy = LogisticOptions {
        lbfgs_max_iters: 1000,
        lbfgs_tol_grad: 1e-8,
        lbfgs_tol_cost: 1e-13,
        ..LogisticOptions::default()
    };
    g.bench_function("argmin L-BFGS to 1e-8 + Newton", |b| {
        b.iter(|| fit_logistic_with(black_box(&x), 13, black_box(&y), 1.0, &heavy).unwrap())
    });
    g.finish();
}

fn bench_isotonic(c: &mut Criterion) {
    let mut r = Lcg(7);
    let p: Vec<f64> = (0..250).map(|_| r.next()).collect();
    let y: Vec<f64> = p
        .iter()
        .map(|&v| if r.next() < v { 1.0 } else { 0.0 })
        .collect();
    c.bench_function("isotonic_fit_250", |b| {
        b.iter(|| Isotonic::fit(black_box(&p), black_box(&y)).unwrap())
    });
    let iso = Isotonic::fit(&p, &y).unwrap();
    c.bench_function("isotonic_predict_250", |b| {
        b.iter(|| p.iter().map(|&v| iso.predict(black_box(v))).sum::<f64>())
    });
}

criterion_group!(benches, bench_lr, bench_isotonic);
criterion_main!(benches);
