//! rally-pipeline
