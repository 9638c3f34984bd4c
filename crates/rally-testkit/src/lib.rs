//! Test support for the binaries' end-to-end tests: local servers on
//! 127.0.0.1 standing in for remote services. A dev-dependency only.
//!
//! [`FakeYahoo`] serves Yahoo chart API responses built from the synthetic
//! market, and can be told to misbehave per symbol (an error body, a rate
//! limit, a hang) the way the real endpoint does.

mod fake_yahoo;

pub use fake_yahoo::{Behaviour, FakeYahoo, chart_json};
