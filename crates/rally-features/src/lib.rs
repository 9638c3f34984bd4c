//! rally-features
