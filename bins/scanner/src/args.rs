//! The scanner's command line: raw flags as clap parses them. The data,
//! config and thread flags are the shared ones of `rally-cli`; each
//! subcommand offers only the flags that mean something for it.

use clap::{Parser, Subcommand};
use rally_cli::{ConfigArg, DATABASE_HELP, DataArgs, JobsArg, ScanModelArg, TickerArgs};

#[derive(Debug, Parser)]
#[command(
    name = "scanner",
    version,
    about = "Daily rally scan: signals, positions, alerts",
    long_about = "Daily rally scan: signals, positions, alerts.\n\nWithout a subcommand, `scanner [FLAGS]` is `scanner scan [FLAGS]`: the daily job.",
    after_help = DATABASE_HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// The daily scan (the default).
    Scan(ScanArgs),
    /// Model freshness, data freshness, state store; exit 1 if anything is
    /// stale, old, corrupt or unavailable.
    Health {
        #[command(flatten)]
        tickers: TickerArgs,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Sunday: retrain; Monday-Friday: scan; Saturday: nothing.
    Auto(ScanArgs),
    /// Alert backends.
    Alerts {
        #[command(subcommand)]
        cmd: AlertsCmd,
    },
    /// The state store itself.
    #[command(after_help = DATABASE_HELP)]
    Store {
        #[command(subcommand)]
        cmd: StoreCmd,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoreCmd {
    /// Move the whole state into another, empty database.
    ///
    /// Copies positions, journal, equity, scans, outbox, bot users and
    /// their trades (row ids included) in one transaction, and checks the
    /// copy row for row. The source is left as it was; point DATABASE_URL
    /// at the target afterwards.
    Migrate {
        /// The target database URL (PostgreSQL or SQLite); it must hold no
        /// state yet.
        #[arg(long, value_name = "URL")]
        to: String,
        /// The source database URL [default: DATABASE_URL, else
        /// ./models/rally.db].
        #[arg(long, value_name = "URL")]
        from: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertsCmd {
    /// Send one test message to every configured backend.
    Test,
}

/// `scanner [scan]` (and `scanner auto`).
#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub jobs: JobsArg,
    #[command(flatten)]
    pub model: ScanModelArg,
    /// Also show open positions (advanced through the trade state machine).
    #[arg(long)]
    pub positions: bool,
    /// Print one JSON document on stdout (logs go to stderr).
    #[arg(long)]
    pub json: bool,
    /// Do not send alerts (and record no deliveries).
    #[arg(long)]
    pub no_alerts: bool,
    /// Run the whole product on the synthetic market in ./demo (no network).
    #[arg(long)]
    pub demo: bool,
    /// Record a scan older than the newest stored one (refused by default,
    /// so a late or concurrent run never rewrites newer state).
    #[arg(long)]
    pub backfill: bool,
}
