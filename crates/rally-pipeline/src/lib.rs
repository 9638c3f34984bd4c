//! The rally detector's shared application layer — what every binary runs:
//! the state directory, data access through the cache and the data guard,
//! model loading, the live retrain, the daily scan, health, the demo, the
//! weekly calendar, alert announcing, logging, and the text reports of
//! those runs.
//!
//! What it is not: research (walk-forward exports, sweeps, plots, benches:
//! `rally-research`, linked by the retrainer only) and the bot's command
//! logic and scheduler (`rally-bot`). Nothing here prints; results are
//! returned as data and progress is reported through `tracing`.

pub mod announce;
pub mod calendar;
pub mod data;
pub mod demo;
pub mod error;
pub mod fault;
pub mod health;
pub mod logging;
pub mod models;
pub mod prepared;
pub mod report;
pub mod retrain;
pub mod retrain_v2;
pub mod scan;
pub mod state;

pub use error::PipelineError;
