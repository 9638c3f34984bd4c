//! rally-hmm
