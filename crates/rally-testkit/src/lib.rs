//! Test support for the binaries' end-to-end tests: local servers on
//! 127.0.0.1 standing in for remote services. A dev-dependency only.
//!
//! [`FakeYahoo`] serves Yahoo chart API responses built from the synthetic
//! market, and can be told to misbehave per symbol (an error body, a rate
//! limit, a hang) the way the real endpoint does. [`Recorder`] is a webhook
//! receiver that keeps what it was sent. [`Pages`] serves recorded pages
//! (the universe refresh's sources). [`synthetic_csv_market`] writes the
//! same market as a `csv:` directory. [`TestDatabase`] is a fresh database
//! on a real PostgreSQL server for the store's second backend.

mod csv;
mod fake_yahoo;
mod http;
mod pages;
mod postgres;
mod recorder;

pub use csv::{synthetic_csv_market, write_yahoo_csv, yahoo_csv};
pub use fake_yahoo::{Behaviour, FakeYahoo, chart_json};
pub use pages::Pages;
pub use postgres::{POSTGRES_ENV, TestDatabase};
pub use recorder::{Received, Recorder};
