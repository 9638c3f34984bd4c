//! `scanner`: the daily job. Scores the latest bar of every ticker, advances
//! the system's positions, records everything in the state store, sends the
//! alerts. Also `scanner health`, `scanner auto`, `scanner alerts test` and
//! `scanner store migrate`.
//! Thin: parse the flags ([`args`]), set up logging and threads, run one
//! job ([`jobs`]) and exit with its code.
#![allow(clippy::print_stdout)]

mod args;
mod jobs;

use anyhow::{Context, Result};
use clap::Parser;
use rally_cli::JobsArg;
use rally_pipeline::state::StateDir;

use args::{AlertsCmd, Cli, Cmd, StoreCmd};

async fn run(cmd: Cmd) -> Result<i32> {
    let state = StateDir::cwd();
    match &cmd {
        Cmd::Scan(a) if a.demo => jobs::demo(a).await,
        Cmd::Scan(a) => jobs::scan(a, &state).await,
        Cmd::Health { tickers, json } => jobs::health_cmd(tickers, *json, &state).await,
        Cmd::Auto(a) => jobs::auto(a, &state).await,
        Cmd::Alerts {
            cmd: AlertsCmd::Test,
        } => jobs::alerts_test().await,
        Cmd::Store {
            cmd: StoreCmd::Migrate { to, from },
        } => {
            let from = from.clone().unwrap_or_else(|| state.database_url(true));
            jobs::store_migrate(&from, to).await
        }
    }
}

/// The worker-thread setting of the command, if it has one.
fn jobs_of(cmd: &Cmd) -> Option<&JobsArg> {
    match cmd {
        Cmd::Scan(a) | Cmd::Auto(a) => Some(&a.jobs),
        Cmd::Health { .. } | Cmd::Alerts { .. } | Cmd::Store { .. } => None,
    }
}

fn main() {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let cmd = cli.cmd.unwrap_or(Cmd::Scan(cli.scan));
    let demo = matches!(&cmd, Cmd::Scan(a) if a.demo);
    let logs = if demo {
        StateDir::demo().logs()
    } else {
        StateDir::cwd().logs()
    };
    let _guard = rally_pipeline::logging::init(Some(&logs));
    let result = jobs_of(&cmd)
        .map_or(Ok(()), JobsArg::apply)
        .context("worker threads")
        .and_then(|()| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("starting the async runtime")
        })
        .and_then(|rt| rt.block_on(run(cmd)));
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
