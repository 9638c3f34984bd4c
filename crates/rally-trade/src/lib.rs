//! rally-trade
