//! `retrainer`: trains the live models (the weekly job), and owns research:
//! export, model evaluation, backtests, optimisation, barrier validation,
//! benchmarks.
//! Thin: parse the flags ([`args`]), set up logging, run one command
//! ([`commands`]) and exit with its code.
#![allow(clippy::print_stdout)]

mod args;
mod commands;
mod evaluate;
mod pages;
mod universe;

use anyhow::Context;
use clap::Parser;
use rally_pipeline::state::StateDir;

use args::{Cli, Cmd};

fn main() {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let _guard = rally_pipeline::logging::init(Some(&StateDir::cwd().logs()));
    let cmd = cli.cmd.unwrap_or(Cmd::Train(cli.train));
    match commands::run(cmd).context("retrainer") {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
