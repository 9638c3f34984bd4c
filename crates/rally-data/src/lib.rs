//! rally-data
