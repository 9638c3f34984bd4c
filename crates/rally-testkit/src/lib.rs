//! Test support for the binaries' end-to-end tests: local servers on
//! 127.0.0.1 standing in for remote services. A dev-dependency only.
//!
//! [`FakeYahoo`] serves Yahoo chart API responses built from the synthetic
//! market, and can be told to misbehave per symbol (an error body, a rate
//! limit, a hang) the way the real endpoint does. [`Recorder`] is a webhook
//! receiver that keeps what it was sent.

mod fake_yahoo;
mod http;
mod recorder;

pub use fake_yahoo::{Behaviour, FakeYahoo, chart_json};
pub use recorder::{Received, Recorder};
