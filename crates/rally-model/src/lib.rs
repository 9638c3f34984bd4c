//! rally-model
