//! The Discord bot's logic, next to the bot and linked by it alone: the
//! slash commands as plain async functions over the state store
//! ([`commands`]), and the in-process scheduler that runs the daily scan and
//! the weekly retrain on the calendar ([`scheduler`]).
//!
//! What it is not: Discord types (the `discord-bot` binary adapts these
//! functions to poise) and the runs themselves (`rally-pipeline`).

pub mod commands;
pub mod scheduler;
