//! The rally detector's application layer: research runs and exports,
//! retraining, scanning, health, and the glue between the numeric crates
//! and the outside world (files, state store, alerts).
//!
//! Binaries stay thin: they parse arguments, set up logging, call one
//! function here and render its result. Nothing here prints; results are
//! returned as data and progress is reported through `tracing`.

pub mod announce;
pub mod bench;
pub mod commands;
pub mod data;
pub mod demo;
pub mod error;
pub mod export;
pub mod fault;
pub mod format;
pub mod health;
pub mod logging;
pub mod models;
pub mod plots;
pub mod report;
pub mod research;
pub mod retrain;
pub mod scan;
pub mod schedule;
pub mod state;
pub mod sweep;

pub use error::PipelineError;
