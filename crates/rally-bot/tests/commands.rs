//! The Discord bot's command logic against a real SQLite file in a temporary
//! directory: the README walkthrough with exact figures, FIFO exits, user
//! isolation, every bad input (and that it changes nothing), concurrent
//! entries and exits, and the content of every embed.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rally_bot::commands::{
    self, CommandContext, CommandError, EnterArgs, ExitArgs, HistoryArgs, Period,
};
use rally_notify::embed::{BLUE, Embed, GREEN, RED};
use rally_pipeline::state::StateDir;
use rally_store::{
    EquitySnapshot, NewOutboxEvent, PositionRow, ScanCommit, SignalRow, Store, UserRow,
    UserTradeRow,
};

struct Fixture {
    _dir: tempfile::TempDir,
    ctx: CommandContext,
    clock: Arc<Mutex<DateTime<Utc>>>,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        let store = Store::open(&dir.path().join("models/rally.db").display().to_string())
            .await
            .unwrap();
        let clock = Arc::new(Mutex::new(t("2024-05-06T15:00:00Z")));
        let c = Arc::clone(&clock);
        let universe = rally_data::DEFAULT_BASKET
            .iter()
            .map(|s| s.to_string())
            .collect();
        let ctx = CommandContext::new(store, state, universe)
            .with_clock(Arc::new(move || *c.lock().unwrap()));
        Fixture {
            _dir: dir,
            ctx,
            clock,
        }
    }

    fn advance(&self, d: Duration) {
        *self.clock.lock().unwrap() += d;
    }

    fn store(&self) -> &Store {
        &self.ctx.store
    }

    /// Everything the journal holds for these users.
    async fn snapshot(&self, users: &[&str]) -> Vec<(Option<UserRow>, Vec<UserTradeRow>)> {
        let mut out = Vec::new();
        for u in users {
            out.push((
                self.store().user(u).await.unwrap(),
                self.store().user_trades(u, None, None).await.unwrap(),
            ));
        }
        out
    }
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn field<'a>(e: &'a Embed, name: &str) -> &'a str {
    e.fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.as_str())
        .unwrap_or_else(|| panic!("no field {name:?} in {e:#?}"))
}

/// An embed as plain text, as `docs/discord-walkthrough.md` shows replies:
/// title, description, `name: value` per field, `— footer`; Discord markdown
/// (`**`, backticks) stripped.
fn as_text(e: &Embed) -> String {
    let plain = |s: &str| s.replace("**", "").replace('`', "");
    let mut lines = vec![e.title.clone()];
    lines.extend(e.description.iter().map(|d| plain(d)));
    lines.extend(
        e.fields
            .iter()
            .map(|f| format!("{}: {}", f.name, plain(&f.value))),
    );
    lines.extend(e.footer.iter().map(|f| format!("— {f}")));
    lines.join("\n")
}

fn enter_args(ticker: &str, price: f64, size: Option<f64>) -> EnterArgs {
    EnterArgs {
        ticker: ticker.into(),
        price,
        size,
        stop: None,
        target: None,
    }
}

fn exit_args(ticker: &str, price: f64) -> ExitArgs {
    ExitArgs {
        ticker: ticker.into(),
        price,
        notes: None,
    }
}

fn scan(as_of: &str, equity: f64) -> ScanCommit {
    ScanCommit {
        as_of: d(as_of),
        started_at: t(&format!("{as_of}T21:30:00Z")),
        finished_at: t(&format!("{as_of}T21:35:00Z")),
        n_scanned: 14,
        status: "ok".into(),
        positions: Vec::new(),
        closed_trades: Vec::new(),
        equity: Some(EquitySnapshot {
            date: d(as_of),
            equity,
            cash: equity - 10_400.0,
            exposure: 10_400.0,
            n_open: 1,
        }),
        signals: Vec::new(),
        events: Vec::new(),
        summary_json: None,
        backends: Vec::new(),
        base: None,
        backfill: false,
    }
}

/// Commits `c` on top of whatever the store holds (these fixtures write
/// their days in order, one writer at a time).
async fn commit_on_base(store: &Store, mut c: ScanCommit) -> rally_store::CommitOutcome {
    c.base = store.scan_base().await.unwrap().newest;
    store.commit_scan(&c).await.unwrap()
}

fn msft_signal(as_of: &str) -> SignalRow {
    SignalRow {
        as_of: d(as_of),
        ticker: "MSFT".into(),
        p_rally: 0.72,
        compression: 0.041,
        price: 400.0,
        stop: 380.0,
        target: 440.0,
        size: 0.1,
        setup_top_pct: None,
    }
}

// ---- the README walkthrough --------------------------------------------------

#[tokio::test]
async fn readme_walkthrough_with_exact_figures() {
    let f = Fixture::new().await;
    let me = "111111111111111111";

    let mut replies = Vec::new();

    // 1. /setcapital 10000
    let e = commands::set_capital(&f.ctx, me, 10_000.0).await.unwrap();
    replies.push(as_text(&e));
    assert_eq!(e.title, "💰 Capital set");
    assert_eq!(e.colour, BLUE);
    assert_eq!(field(&e, "Capital"), "$10,000.00");

    // 2. /enter AAPL 100 size:0.2 stop:95 target:110
    let e = commands::enter(
        &f.ctx,
        me,
        EnterArgs {
            ticker: "aapl".into(),
            price: 100.0,
            size: Some(0.2),
            stop: Some(95.0),
            target: Some(110.0),
        },
    )
    .await
    .unwrap();
    assert_eq!(e.title, "🟢 Entered AAPL");
    assert_eq!(e.colour, GREEN);
    assert_eq!(field(&e, "Entry"), "$100.00");
    assert_eq!(field(&e, "Size"), "20.0%");
    assert_eq!(field(&e, "Stop"), "$95.00 (-5.00%)");
    assert_eq!(field(&e, "Target"), "$110.00 (+10.00%)");
    assert_eq!(field(&e, "Allocation"), "$2,000.00");
    assert_eq!(field(&e, "Max risk"), "$100.00 (1.00% of capital)");
    assert_eq!(field(&e, "Open lots in AAPL"), "1");
    assert_eq!(e.footer.as_deref(), Some("Trade #1"));
    assert_eq!(e.description, None, "nothing filled, nothing to explain");
    replies.push(as_text(&e));

    // 3. /exit AAPL 105 (two days later)
    f.advance(Duration::days(2));
    let e = commands::exit(&f.ctx, me, exit_args("AAPL", 105.0))
        .await
        .unwrap();
    assert_eq!(e.title, "✅ Exited AAPL");
    assert_eq!(e.colour, GREEN);
    assert_eq!(field(&e, "Entry"), "$100.00");
    assert_eq!(field(&e, "Exit"), "$105.00");
    assert_eq!(field(&e, "P&L"), "+5.00%");
    assert_eq!(field(&e, "P&L $"), "+$100.00");
    assert_eq!(field(&e, "Held"), "2d 0h");
    assert_eq!(field(&e, "Open lots left in AAPL"), "0");
    replies.push(as_text(&e));
    let row = &f.store().user_trades(me, None, None).await.unwrap()[0];
    assert!((row.pnl_pct.unwrap() - 5.0).abs() < 1e-9);
    assert!((row.pnl_usd.unwrap() - 100.0).abs() < 1e-9);

    // 4. /pnl
    let e = commands::pnl(&f.ctx, me, Period::All).await.unwrap();
    assert_eq!(e.title, "📊 Your P&L (all time)");
    assert_eq!(e.colour, GREEN);
    assert_eq!(field(&e, "Closed trades"), "1");
    assert_eq!(field(&e, "Win rate"), "100.0% (1/1)");
    assert_eq!(field(&e, "Best"), "+5.00% (AAPL)");
    assert_eq!(field(&e, "Worst"), "+5.00% (AAPL)");
    assert_eq!(field(&e, "Cumulative"), "+1.00% of capital");
    assert_eq!(field(&e, "P&L $"), "+$100.00");
    assert_eq!(field(&e, "Open trades"), "0");
    replies.push(as_text(&e));

    // 5. /history
    let h = commands::history(&f.ctx, me, HistoryArgs::default())
        .await
        .unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].title, "📒 Your trades");
    assert_eq!(
        h[0].description.as_deref(),
        Some(
            "`#1` **AAPL** 2024-05-06 → 2024-05-08 · $100.00 → $105.00 · size 20.0% · \
             stop $95.00 · target $110.00 · **+5.00%** (+$100.00)"
        )
    );
    assert_eq!(
        h[0].footer.as_deref(),
        Some("1 trade shown, newest first (0 open); limit 10")
    );
    replies.push(as_text(&h[0]));

    // The same exit again: nothing left to close.
    let err = commands::exit(&f.ctx, me, exit_args("AAPL", 105.0))
        .await
        .unwrap_err();
    replies.push(as_text(&err.to_embed()));

    // The walkthrough in the docs shows exactly these replies.
    let doc_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/discord-walkthrough.md"
    );
    let doc = std::fs::read_to_string(doc_path).unwrap();
    for r in &replies {
        assert!(
            doc.contains(r.as_str()),
            "docs/discord-walkthrough.md lacks:\n{r}"
        );
    }
}

// ---- signals fill /enter -------------------------------------------------------

#[tokio::test]
async fn enter_fills_missing_levels_from_the_active_signal() {
    let f = Fixture::new().await;
    let mut c = scan("2024-05-03", 100_000.0);
    c.signals = vec![msft_signal("2024-05-03")];
    commit_on_base(f.store(), c).await;
    commands::set_capital(&f.ctx, "u1", 10_000.0).await.unwrap();

    let e = commands::enter(&f.ctx, "u1", enter_args("msft", 401.0, None))
        .await
        .unwrap();
    assert_eq!(
        e.description.as_deref(),
        Some("Filled size, stop, target from the 2024-05-03 signal.")
    );
    assert_eq!(field(&e, "Size"), "10.0%");
    assert_eq!(field(&e, "Stop"), "$380.00 (-5.24%)");
    assert_eq!(field(&e, "Target"), "$440.00 (+9.73%)");
    assert_eq!(field(&e, "Allocation"), "$1,000.00");
    // (401 - 380) / 401 × 1,000 = 52.37
    assert_eq!(field(&e, "Max risk"), "$52.37 (0.52% of capital)");

    // Explicit values win; only the missing target is filled.
    let e = commands::enter(
        &f.ctx,
        "u1",
        EnterArgs {
            ticker: "MSFT".into(),
            price: 402.0,
            size: Some(0.05),
            stop: Some(390.0),
            target: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        e.description.as_deref(),
        Some("Filled target from the 2024-05-03 signal.")
    );
    assert_eq!(field(&e, "Size"), "5.0%");
    assert_eq!(field(&e, "Open lots in MSFT"), "2");

    // No signal for NVDA: size is required, the stop may be absent.
    let err = commands::enter(&f.ctx, "u1", enter_args("NVDA", 900.0, None))
        .await
        .unwrap_err();
    assert!(matches!(err, CommandError::MissingSize { ref ticker } if ticker == "NVDA"));
    let e = commands::enter(&f.ctx, "u1", enter_args("NVDA", 900.0, Some(0.1)))
        .await
        .unwrap();
    assert_eq!(
        e.description.as_deref(),
        Some("No active signal for NVDA and no stop given: recorded without a stop.")
    );
    assert_eq!(field(&e, "Stop"), "none");
    assert_eq!(field(&e, "Max risk"), "unknown (no stop)");

    // A price below the signal's stop: the filled stop is refused, with a hint.
    let err = commands::enter(&f.ctx, "u1", enter_args("MSFT", 370.0, None))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CommandError::StopNotBelowPrice {
            from_signal: true,
            ..
        }
    ));
    assert!(err.to_string().contains("taken from the active signal"));
}

#[tokio::test]
async fn enter_without_capital_shows_fractions() {
    let f = Fixture::new().await;
    let e = commands::enter(
        &f.ctx,
        "u1",
        EnterArgs {
            ticker: "SPY".into(),
            price: 500.0,
            size: Some(0.25),
            stop: Some(475.0),
            target: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(field(&e, "Allocation"), "25.0% of capital");
    assert_eq!(field(&e, "Max risk"), "5.00% of the position");
    assert!(e.description.unwrap().contains("/setcapital"));
    let e = commands::exit(&f.ctx, "u1", exit_args("SPY", 450.0))
        .await
        .unwrap();
    assert_eq!(e.title, "🔻 Exited SPY");
    assert_eq!(e.colour, RED);
    assert_eq!(field(&e, "P&L"), "-10.00%");
    assert_eq!(field(&e, "P&L $"), "set your capital with /setcapital");
    let e = commands::pnl(&f.ctx, "u1", Period::All).await.unwrap();
    assert_eq!(e.colour, RED);
    assert_eq!(field(&e, "Cumulative"), "-2.50% of capital");
    assert_eq!(field(&e, "P&L $"), "set your capital with /setcapital");
}

// ---- FIFO ------------------------------------------------------------------------

#[tokio::test]
async fn exit_closes_the_oldest_lot_first() {
    let f = Fixture::new().await;
    commands::set_capital(&f.ctx, "u1", 10_000.0).await.unwrap();
    for price in [100.0, 110.0, 120.0] {
        commands::enter(&f.ctx, "u1", enter_args("AAPL", price, Some(0.1)))
            .await
            .unwrap();
        f.advance(Duration::hours(1));
    }
    // A lot in another ticker is never touched by AAPL exits.
    commands::enter(&f.ctx, "u1", enter_args("MSFT", 50.0, Some(0.1)))
        .await
        .unwrap();

    let e = commands::exit(&f.ctx, "u1", exit_args("AAPL", 115.0))
        .await
        .unwrap();
    assert_eq!(field(&e, "Entry"), "$100.00");
    assert_eq!(field(&e, "P&L"), "+15.00%");
    assert_eq!(field(&e, "P&L $"), "+$150.00");
    assert_eq!(field(&e, "Open lots left in AAPL"), "2");
    assert_eq!(field(&e, "Held"), "3h 0m");

    let e = commands::exit(&f.ctx, "u1", exit_args("AAPL", 115.0))
        .await
        .unwrap();
    assert_eq!(field(&e, "Entry"), "$110.00");
    assert_eq!(field(&e, "P&L"), "+4.55%");

    let e = commands::exit(
        &f.ctx,
        "u1",
        ExitArgs {
            ticker: "AAPL".into(),
            price: 115.0,
            notes: Some("  stopped out early  ".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(field(&e, "Entry"), "$120.00");
    assert_eq!(field(&e, "P&L"), "-4.17%");
    assert_eq!(field(&e, "Notes"), "stopped out early");
    assert_eq!(e.colour, RED);

    let err = commands::exit(&f.ctx, "u1", exit_args("AAPL", 115.0))
        .await
        .unwrap_err();
    assert!(matches!(err, CommandError::NothingToExit { ref ticker } if ticker == "AAPL"));
    assert_eq!(err.to_string(), "you have no open trade in AAPL to exit");
    assert_eq!(
        f.store()
            .open_user_trades("u1", "MSFT")
            .await
            .unwrap()
            .len(),
        1
    );

    // /pnl: three trades, 2 wins; cumulative = 0.1 × (15 + 4.545 - 4.167) = 1.54 %.
    let e = commands::pnl(&f.ctx, "u1", Period::All).await.unwrap();
    assert_eq!(field(&e, "Closed trades"), "3");
    assert_eq!(field(&e, "Win rate"), "66.7% (2/3)");
    assert_eq!(field(&e, "Best"), "+15.00% (AAPL)");
    assert_eq!(field(&e, "Worst"), "-4.17% (AAPL)");
    assert_eq!(field(&e, "Cumulative"), "+1.54% of capital");
    assert_eq!(field(&e, "P&L $"), "+$153.79");
    assert_eq!(field(&e, "Open trades"), "1");
}

#[tokio::test]
async fn fifo_ties_on_the_same_timestamp_go_by_entry_order() {
    let f = Fixture::new().await;
    for price in [10.0, 20.0, 30.0] {
        commands::enter(&f.ctx, "u1", enter_args("SPY", price, Some(0.1)))
            .await
            .unwrap();
    }
    for expect in ["$10.00", "$20.00", "$30.00"] {
        let e = commands::exit(&f.ctx, "u1", exit_args("SPY", 25.0))
            .await
            .unwrap();
        assert_eq!(field(&e, "Entry"), expect);
    }
}

#[tokio::test]
async fn pnl_periods_filter_by_exit_time() {
    let f = Fixture::new().await;
    commands::set_capital(&f.ctx, "u1", 1_000.0).await.unwrap();
    for (price, exit) in [(100.0, 110.0), (100.0, 90.0), (100.0, 102.0)] {
        commands::enter(&f.ctx, "u1", enter_args("SPY", price, Some(1.0)))
            .await
            .unwrap();
        f.advance(Duration::days(1));
        commands::exit(&f.ctx, "u1", exit_args("SPY", exit))
            .await
            .unwrap();
        f.advance(Duration::days(16));
    }
    // Exits were at start + 1, 18 and 35 days: 40, 23 and 6 days before now.
    *f.clock.lock().unwrap() = t("2024-05-06T15:00:00Z") + Duration::days(41);
    let all = commands::pnl(&f.ctx, "u1", Period::All).await.unwrap();
    assert_eq!(field(&all, "Closed trades"), "3");
    assert_eq!(field(&all, "P&L $"), "+$20.00");
    let m = commands::pnl(&f.ctx, "u1", Period::Days30).await.unwrap();
    assert_eq!(m.title, "📊 Your P&L (last 30 days)");
    assert_eq!(field(&m, "Closed trades"), "2");
    assert_eq!(field(&m, "P&L $"), "-$80.00");
    let w = commands::pnl(&f.ctx, "u1", Period::Days7).await.unwrap();
    assert_eq!(field(&w, "Closed trades"), "1");
    assert_eq!(field(&w, "Best"), "+2.00% (SPY)");
    assert_eq!("30d".parse::<Period>().unwrap(), Period::Days30);
    assert_eq!(" ALL ".parse::<Period>().unwrap(), Period::All);
    assert_eq!("7d".parse::<Period>().unwrap(), Period::Days7);

    // No trades in a period: a blue "nothing" embed.
    *f.clock.lock().unwrap() += Duration::days(100);
    let e = commands::pnl(&f.ctx, "u1", Period::Days7).await.unwrap();
    assert_eq!(e.colour, BLUE);
    assert_eq!(
        e.description.as_deref(),
        Some("No closed trades in this period.")
    );
}

// ---- isolation -------------------------------------------------------------------

#[tokio::test]
async fn users_cannot_see_or_change_each_others_trades() {
    let f = Fixture::new().await;
    let (alice, bob) = ("100000000000000001", "100000000000000002");
    commands::set_capital(&f.ctx, alice, 50_000.0)
        .await
        .unwrap();
    commands::enter(&f.ctx, alice, enter_args("AAPL", 100.0, Some(0.5)))
        .await
        .unwrap();
    commands::enter(&f.ctx, bob, enter_args("MSFT", 300.0, Some(0.5)))
        .await
        .unwrap();

    // Bob cannot exit Alice's AAPL lot.
    let err = commands::exit(&f.ctx, bob, exit_args("AAPL", 200.0))
        .await
        .unwrap_err();
    assert!(matches!(err, CommandError::NothingToExit { .. }));
    assert_eq!(
        f.store()
            .open_user_trades(alice, "AAPL")
            .await
            .unwrap()
            .len(),
        1
    );

    // Each history shows only one's own trades.
    let h = commands::history(&f.ctx, bob, HistoryArgs::default())
        .await
        .unwrap();
    let text = h[0].description.clone().unwrap();
    assert!(text.contains("MSFT") && !text.contains("AAPL"), "{text}");
    let h = commands::history(
        &f.ctx,
        bob,
        HistoryArgs {
            ticker: Some("AAPL".into()),
            limit: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(h[0].title, "📒 Your trades in AAPL");
    assert_eq!(
        h[0].description.as_deref(),
        Some("No trades yet. Record one with /enter.")
    );

    // Bob's capital is his own (unset), Alice's P&L untouched by Bob.
    assert_eq!(f.store().user(bob).await.unwrap().unwrap().capital, None);
    commands::exit(&f.ctx, alice, exit_args("AAPL", 110.0))
        .await
        .unwrap();
    let e = commands::pnl(&f.ctx, bob, Period::All).await.unwrap();
    assert_eq!(e.colour, BLUE);
    assert_eq!(field(&e, "Open trades"), "1");
    let e = commands::pnl(&f.ctx, alice, Period::All).await.unwrap();
    assert_eq!(field(&e, "P&L $"), "+$2,500.00");
}

// ---- bad input -------------------------------------------------------------------

#[tokio::test]
async fn every_bad_input_is_refused_and_changes_nothing() {
    let f = Fixture::new().await;
    let me = "200000000000000001";
    let newbie = "200000000000000002";
    commands::set_capital(&f.ctx, me, 10_000.0).await.unwrap();
    commands::enter(&f.ctx, me, enter_args("AAPL", 100.0, Some(0.2)))
        .await
        .unwrap();
    let users = [me, newbie];
    let before = f.snapshot(&users).await;
    let ctx = &f.ctx;

    type Check = fn(&CommandError) -> bool;
    type Case = (&'static str, Result<Vec<Embed>, CommandError>, Check);
    let enter =
        |ticker: &str, price: f64, size: Option<f64>, stop: Option<f64>, target: Option<f64>| {
            EnterArgs {
                ticker: ticker.into(),
                price,
                size,
                stop,
                target,
            }
        };
    let mut cases: Vec<Case> = Vec::new();
    for who in users {
        macro_rules! case {
            ($name:expr, $fut:expr, $pat:pat) => {
                cases.push(($name, $fut.await.map(|e| vec![e]), |e| matches!(e, $pat)))
            };
        }
        case!(
            "capital 0",
            commands::set_capital(ctx, who, 0.0),
            CommandError::OutOfRange {
                what: "capital",
                ..
            }
        );
        case!(
            "capital < 0",
            commands::set_capital(ctx, who, -5.0),
            CommandError::OutOfRange { .. }
        );
        case!(
            "capital NaN",
            commands::set_capital(ctx, who, f64::NAN),
            CommandError::OutOfRange { .. }
        );
        case!(
            "capital inf",
            commands::set_capital(ctx, who, f64::INFINITY),
            CommandError::OutOfRange { .. }
        );
        case!(
            "capital absurd",
            commands::set_capital(ctx, who, 1e13),
            CommandError::OutOfRange {
                what: "capital",
                ..
            }
        );
        case!(
            "symbol",
            commands::enter(
                ctx,
                who,
                enter("DROP TABLE users;", 100.0, Some(0.1), None, None)
            ),
            CommandError::InvalidSymbol { .. }
        );
        case!(
            "empty symbol",
            commands::enter(ctx, who, enter("  ", 100.0, Some(0.1), None, None)),
            CommandError::InvalidSymbol { .. }
        );
        case!(
            "unknown ticker",
            commands::enter(ctx, who, enter("ZZZZ", 100.0, Some(0.1), None, None)),
            CommandError::UnknownTicker { .. }
        );
        case!(
            "price 0",
            commands::enter(ctx, who, enter("AAPL", 0.0, Some(0.1), None, None)),
            CommandError::OutOfRange { what: "price", .. }
        );
        case!(
            "price < 0",
            commands::enter(ctx, who, enter("AAPL", -1.0, Some(0.1), None, None)),
            CommandError::OutOfRange { .. }
        );
        case!(
            "price NaN",
            commands::enter(ctx, who, enter("AAPL", f64::NAN, Some(0.1), None, None)),
            CommandError::OutOfRange { .. }
        );
        case!(
            "price inf",
            commands::enter(
                ctx,
                who,
                enter("AAPL", f64::INFINITY, Some(0.1), None, None)
            ),
            CommandError::OutOfRange { .. }
        );
        case!(
            "price absurd",
            commands::enter(ctx, who, enter("AAPL", 2e7, Some(0.1), None, None)),
            CommandError::OutOfRange { what: "price", .. }
        );
        case!(
            "size 0",
            commands::enter(ctx, who, enter("AAPL", 100.0, Some(0.0), None, None)),
            CommandError::InvalidSize { .. }
        );
        case!(
            "size > 1",
            commands::enter(ctx, who, enter("AAPL", 100.0, Some(20.0), None, None)),
            CommandError::InvalidSize { .. }
        );
        case!(
            "size < 0",
            commands::enter(ctx, who, enter("AAPL", 100.0, Some(-0.1), None, None)),
            CommandError::InvalidSize { .. }
        );
        case!(
            "size NaN",
            commands::enter(ctx, who, enter("AAPL", 100.0, Some(f64::NAN), None, None)),
            CommandError::InvalidSize { .. }
        );
        case!(
            "stop NaN",
            commands::enter(
                ctx,
                who,
                enter("AAPL", 100.0, Some(0.1), Some(f64::NAN), None)
            ),
            CommandError::OutOfRange { what: "stop", .. }
        );
        case!(
            "stop above",
            commands::enter(ctx, who, enter("AAPL", 100.0, Some(0.1), Some(101.0), None)),
            CommandError::StopNotBelowPrice {
                from_signal: false,
                ..
            }
        );
        case!(
            "target below",
            commands::enter(ctx, who, enter("AAPL", 100.0, Some(0.1), None, Some(99.0))),
            CommandError::TargetNotAbovePrice {
                from_signal: false,
                ..
            }
        );
        case!(
            "target < 0",
            commands::enter(ctx, who, enter("AAPL", 100.0, Some(0.1), None, Some(-1.0))),
            CommandError::OutOfRange { what: "target", .. }
        );
        case!(
            "no size, no signal",
            commands::enter(ctx, who, enter("AAPL", 100.0, None, None, None)),
            CommandError::MissingSize { .. }
        );
        case!(
            "exit nothing",
            commands::exit(ctx, who, exit_args("MSFT", 100.0)),
            CommandError::NothingToExit { .. }
        );
        case!(
            "exit symbol",
            commands::exit(ctx, who, exit_args("a b", 100.0)),
            CommandError::InvalidSymbol { .. }
        );
        case!(
            "exit price NaN",
            commands::exit(ctx, who, exit_args("AAPL", f64::NAN)),
            CommandError::OutOfRange { .. }
        );
        case!(
            "exit price 0",
            commands::exit(ctx, who, exit_args("AAPL", 0.0)),
            CommandError::OutOfRange { .. }
        );
        case!(
            "exit price absurd",
            commands::exit(ctx, who, exit_args("AAPL", 1e8)),
            CommandError::OutOfRange { .. }
        );
        case!(
            "exit notes",
            commands::exit(
                ctx,
                who,
                ExitArgs {
                    ticker: "AAPL".into(),
                    price: 100.0,
                    notes: Some("x".repeat(501))
                }
            ),
            CommandError::NotesTooLong { len: 501, .. }
        );
        cases.push((
            "history limit 0",
            commands::history(
                ctx,
                who,
                HistoryArgs {
                    ticker: None,
                    limit: Some(0),
                },
            )
            .await,
            |e| matches!(e, CommandError::InvalidLimit { value: 0, .. }),
        ));
        cases.push((
            "history limit 51",
            commands::history(
                ctx,
                who,
                HistoryArgs {
                    ticker: None,
                    limit: Some(51),
                },
            )
            .await,
            |e| matches!(e, CommandError::InvalidLimit { value: 51, max: 50 }),
        ));
        cases.push((
            "history symbol",
            commands::history(
                ctx,
                who,
                HistoryArgs {
                    ticker: Some("$$$".into()),
                    limit: None,
                },
            )
            .await,
            |e| matches!(e, CommandError::InvalidSymbol { .. }),
        ));
        case!(
            "empty user",
            commands::set_capital(ctx, "", 100.0),
            CommandError::InvalidUser
        );
    }
    for (name, result, check) in &cases {
        match result {
            Err(e) => {
                assert!(check(e), "{name}: wrong error {e:?}");
                assert!(e.is_user_error(), "{name}");
                let embed = e.to_embed();
                assert_eq!(embed.colour, RED, "{name}");
                assert_eq!(embed.title, "⚠️ Can't do that");
                assert_eq!(embed.description.as_deref(), Some(e.to_string().as_str()));
            }
            Ok(_) => panic!("{name}: accepted"),
        }
    }
    assert!(matches!(
        "1y".parse::<Period>(),
        Err(CommandError::InvalidPeriod { ref input }) if input == "1y"
    ));
    assert_eq!(f.snapshot(&users).await, before, "bad input changed state");
    assert!(
        f.store().user(newbie).await.unwrap().is_none(),
        "not registered by bad input"
    );

    // A few messages as the user reads them.
    let msg = |e: CommandError| e.to_string();
    assert_eq!(
        msg(
            commands::enter(ctx, me, enter("ZZZZ", 1.0, Some(0.1), None, None))
                .await
                .unwrap_err()
        ),
        "unknown ticker ZZZZ: it is not in the system's universe and has no model or signal"
    );
    assert_eq!(
        msg(commands::set_capital(ctx, me, -5.0).await.unwrap_err()),
        "capital must be a number from 1 to 1e12 (got -5)"
    );
    assert_eq!(
        msg(
            commands::enter(ctx, me, enter("AAPL", 1.0, Some(1.5), None, None))
                .await
                .unwrap_err()
        ),
        "size must be a fraction of your capital from 0.0001 to 1, e.g. 0.2 for 20% (got 1.5)"
    );
}

#[tokio::test]
async fn known_tickers_include_signals_positions_and_models() {
    let f = Fixture::new().await;
    // Not in the default basket, but in the latest scan's signals.
    let mut c = scan("2024-05-03", 100_000.0);
    c.signals = vec![SignalRow {
        ticker: "ORCL".into(),
        ..msft_signal("2024-05-03")
    }];
    commit_on_base(f.store(), c).await;
    commands::enter(&f.ctx, "u1", enter_args("orcl", 401.0, None))
        .await
        .unwrap();
    // A model file makes a ticker known.
    std::fs::create_dir_all(f.ctx.state.models()).unwrap();
    std::fs::write(f.ctx.state.model_path("AMD"), b"x").unwrap();
    commands::enter(&f.ctx, "u1", enter_args("AMD", 150.0, Some(0.1)))
        .await
        .unwrap();
    // Share classes are normalised.
    let mut ctx = f.ctx.clone();
    ctx.universe.push("BRK-B".into());
    let e = commands::enter(&ctx, "u1", enter_args("brk.b", 400.0, Some(0.1)))
        .await
        .unwrap();
    assert_eq!(e.title, "🟢 Entered BRK-B");
    // No universe configured: any valid symbol.
    let mut open = f.ctx.clone();
    open.universe.clear();
    commands::enter(&open, "u1", enter_args("ZZZZ", 1.0, Some(0.1)))
        .await
        .unwrap();
}

// ---- concurrency -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_enters_and_exits_leave_a_consistent_journal() {
    let f = Fixture::new().await;
    let users: Vec<String> = (0..4).map(|i| format!("30000000000000000{i}")).collect();
    let mut tasks = Vec::new();
    let mut expected = vec![0usize; users.len()];
    for i in 0..48 {
        if i % 6 != 5 {
            expected[i % users.len()] += 1;
        }
        let ctx = f.ctx.clone();
        let user = users[i % users.len()].clone();
        tasks.push(tokio::spawn(async move {
            // Every sixth request is invalid and must leave no row.
            let price = if i % 6 == 5 { -1.0 } else { 100.0 + i as f64 };
            commands::enter(&ctx, &user, enter_args("AAPL", price, Some(0.01)))
                .await
                .is_ok()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() {
            ok += 1;
        }
    }
    assert_eq!(ok, 40);
    let mut total = 0;
    let mut ids = std::collections::BTreeSet::new();
    for (u, want) in users.iter().zip(&expected) {
        let rows = f.store().user_trades(u, None, None).await.unwrap();
        assert_eq!(rows.len(), *want, "{u}");
        assert!(rows.iter().all(|r| &r.user_id == u && r.is_open()));
        total += rows.len();
        ids.extend(rows.iter().map(|r| r.id));
    }
    assert_eq!(total, ok);
    assert_eq!(ids.len(), ok, "unique ids");

    // 15 concurrent exits of one user's 12 lots: 12 close distinct lots, 3 find nothing.
    let u = users[0].clone();
    let mut tasks = Vec::new();
    for _ in 0..15 {
        let (ctx, u) = (f.ctx.clone(), u.clone());
        tasks.push(tokio::spawn(async move {
            commands::exit(&ctx, &u, exit_args("AAPL", 150.0)).await
        }));
    }
    let (mut closed, mut nothing) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => closed += 1,
            Err(CommandError::NothingToExit { .. }) => nothing += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(expected[0], 12);
    assert_eq!((closed, nothing), (12, 3));
    let rows = f.store().user_trades(&u, None, None).await.unwrap();
    assert!(rows.iter().all(|r| !r.is_open()));
    assert_eq!(
        f.store()
            .user_trades(&users[1], None, None)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.is_open())
            .count(),
        expected[1],
        "other users untouched"
    );
}

// ---- system views --------------------------------------------------------------

fn position(ticker: &str, as_of: &str) -> PositionRow {
    PositionRow {
        ticker: ticker.into(),
        state_json: "{}".into(),
        signal_date: d("2024-05-01"),
        entry_date: Some(d("2024-05-02")),
        entry_fill: Some(100.0),
        shares: Some(100.0),
        size: 0.1,
        stop: 95.0,
        target: 110.0,
        p_rally: 0.7,
        last_price: 104.0,
        last_date: d(as_of),
        bars_held: 3,
        updated_as_of: d(as_of),
    }
}

#[tokio::test]
async fn signals_embed_lists_sizing_and_dollars() {
    let f = Fixture::new().await;
    let e = commands::signals(&f.ctx, "u1").await.unwrap();
    assert_eq!(e.title, "No active signals");
    assert_eq!(e.description.as_deref(), Some("No scan has run yet."));

    let mut c = scan("2024-05-03", 100_000.0);
    c.signals = vec![msft_signal("2024-05-03")];
    commit_on_base(f.store(), c).await;
    let e = commands::signals(&f.ctx, "u1").await.unwrap();
    assert_eq!(e.title, "📈 Active signals (as of 2024-05-03)");
    assert_eq!(e.colour, GREEN);
    assert_eq!(
        field(&e, "MSFT · P(rally) 72.0%"),
        "Price $400.00 · Stop $380.00 (-5.00%) · Target $440.00 · Size 10.0%"
    );
    commands::set_capital(&f.ctx, "u1", 25_000.0).await.unwrap();
    let e = commands::signals(&f.ctx, "u1").await.unwrap();
    assert_eq!(
        field(&e, "MSFT · P(rally) 72.0%"),
        "Price $400.00 · Stop $380.00 (-5.00%) · Target $440.00 · Size 10.0% → $2,500.00"
    );
    assert_eq!(
        e.description.as_deref(),
        Some("Dollar sizes for your capital of $25,000.00.")
    );

    // A model v2 signal: P with its rank among the training setups.
    let mut c = scan("2024-05-06", 100_500.0);
    c.signals = vec![SignalRow {
        setup_top_pct: Some(12.0),
        ..msft_signal("2024-05-06")
    }];
    commit_on_base(f.store(), c).await;
    let e = commands::signals(&f.ctx, "u1").await.unwrap();
    assert!(
        e.fields
            .iter()
            .any(|x| x.name == "MSFT · P 0.720 · top 12% of setups"),
        "{:?}",
        e.fields
    );

    // A newer scan without signals: nothing stale is served.
    commit_on_base(f.store(), scan("2024-05-07", 100_500.0)).await;
    let e = commands::signals(&f.ctx, "u1").await.unwrap();
    assert_eq!(e.colour, BLUE);
    assert_eq!(
        e.description.as_deref(),
        Some("The latest scan (2024-05-07) found no entry signals.")
    );
}

#[tokio::test]
async fn positions_embed_shows_pnl_and_exposure() {
    let f = Fixture::new().await;
    let e = commands::positions(&f.ctx, "u1").await.unwrap();
    assert_eq!(e.title, "📂 No open system positions");
    let mut c = scan("2024-05-06", 100_000.0);
    let mut pending = position("NVDA", "2024-05-06");
    pending.entry_date = None;
    pending.entry_fill = None;
    pending.shares = None;
    c.positions = vec![position("AAPL", "2024-05-06"), pending];
    commit_on_base(f.store(), c).await;
    commands::set_capital(&f.ctx, "u1", 10_000.0).await.unwrap();
    let e = commands::positions(&f.ctx, "u1").await.unwrap();
    assert_eq!(e.title, "📂 System positions (2 open)");
    assert_eq!(e.colour, BLUE);
    assert_eq!(
        field(&e, "AAPL · since 2024-05-02"),
        "Entry $100.00 · Last $104.00 (2024-05-06) · P&L +4.00% · Stop $95.00 · Target $110.00 · \
         Size 10.0% · Exposure $10,400.00 · Your size $1,000.00 · 3 bars held"
    );
    assert!(field(&e, "NVDA · entry pending").starts_with("Last $104.00"));
    assert_eq!(
        e.footer.as_deref(),
        Some("System exposure $10,400.00 (shares × last price)")
    );
}

#[tokio::test]
async fn portfolio_embed_has_sparkline_change_and_drawdown() {
    let f = Fixture::new().await;
    let e = commands::portfolio(&f.ctx, "u1").await.unwrap();
    assert_eq!(e.colour, BLUE);
    // 40 days of snapshots; only the last 30 calendar days are shown.
    let start = d("2024-04-01");
    for i in 0..40 {
        let day = start + Duration::days(i);
        let eq = 100_000.0 + 100.0 * i as f64 - if i == 35 { 2_000.0 } else { 0.0 };
        commit_on_base(f.store(), scan(&day.to_string(), eq)).await;
    }
    let e = commands::portfolio(&f.ctx, "u1").await.unwrap();
    assert_eq!(e.title, "💼 System equity (last 30 days)");
    assert_eq!(e.colour, GREEN);
    let desc = e.description.clone().unwrap();
    assert!(
        desc.ends_with("2024-04-10 → 2024-05-10 (31 snapshots)"),
        "{desc}"
    );
    let spark: String = desc.lines().nth(1).unwrap().to_string();
    assert_eq!(spark.chars().count(), 31);
    assert!(spark.chars().all(|c| "▁▂▃▄▅▆▇█".contains(c)));
    assert_eq!(field(&e, "Equity"), "$103,900.00");
    // 100,900 -> 103,900
    assert_eq!(field(&e, "Change"), "+2.97% (+$3,000.00)");
    // Peak 103,400 on day 34, trough 101,500 on day 35.
    assert_eq!(field(&e, "Max drawdown"), "-1.84%");
    assert_eq!(field(&e, "Open positions"), "1");
    assert_eq!(commands::sparkline(&[1.0, 2.0, 3.0]), "▁▅█");
    assert_eq!(commands::sparkline(&[5.0, 5.0]), "▄▄");
    assert!(
        !e.fields.iter().any(|x| x.name.starts_with("Against")),
        "no benchmark recorded, none shown"
    );

    // A scan that recorded the benchmark: /portfolio shows it beside the
    // system's own figures.
    let mut c = scan("2024-05-11", 104_000.0);
    c.summary_json = Some(
        r#"{"breadth":{"above_sma200":null,"above_sma50":null,"golden_crosses":[],"n":0,"vix":null,"vix_label":null},"benchmark":{"buy_hold_return":0.114,"every_compressed_return":0.021,"since":"2024-04-01","system_return":0.04,"tickers":14},"vix":null,"vix_label":null,"watchlist":[]}"#
            .into(),
    );
    commit_on_base(f.store(), c).await;
    let e = commands::portfolio(&f.ctx, "u1").await.unwrap();
    // Stored before the full figures existed: the returns alone, and why.
    assert_eq!(
        field(&e, BENCHMARKS),
        "```\n\
         \x20      system  buy & hold  every compr.\n\
         total  +4.00%     +11.40%        +2.10%\n\
         ```\n\
         since 2024-04-01 · 14 tickers, equal weight\n\
         returns only (stored before the full figures existed)"
    );

    // A scan with every figure: the three lines side by side.
    let mut c = scan("2024-05-12", 104_100.0);
    c.summary_json = Some(
        r#"{"benchmark":{"buy_hold_return":0.114,"every_compressed_return":0.021,"since":"2024-04-01","system_return":0.04,"tickers":14,"figures":{"annualised":true,"dates":29,"system":{"total_return":0.04,"cagr":0.58,"sharpe":2.5,"sortino":3.75,"max_drawdown":-0.0184,"exposure":0.07},"buy_hold":{"total_return":0.114,"cagr":2.1,"sharpe":4.1,"sortino":6.2,"max_drawdown":-0.035,"exposure":1.0},"every_compressed":{"total_return":0.021,"cagr":0.28,"sharpe":1.1,"sortino":null,"max_drawdown":-0.009,"exposure":0.31}}}}"#
            .into(),
    );
    commit_on_base(f.store(), c).await;
    let e = commands::portfolio(&f.ctx, "u1").await.unwrap();
    assert_eq!(
        field(&e, BENCHMARKS),
        "```\n\
         \x20          system  buy & hold  every compr.\n\
         total      +4.00%     +11.40%        +2.10%\n\
         CAGR      +58.00%    +210.00%       +28.00%\n\
         Sharpe       2.50        4.10          1.10\n\
         Sortino      3.75        6.20           n/a\n\
         max DD     -1.84%      -3.50%        -0.90%\n\
         exposure    7.00%     100.00%        31.00%\n\
         ```\n\
         since 2024-04-01 · 29 equity dates · 14 tickers, equal weight"
    );
}

/// The `/portfolio` field of the live benchmarks.
const BENCHMARKS: &str = "Against buy & hold and every compressed bar";

#[tokio::test]
async fn health_embed_counts_models_and_reports_scan_and_outbox() {
    let f = Fixture::new().await;
    let e = commands::health(&f.ctx, "u1").await.unwrap();
    assert_eq!(e.title, "🩺 System health: attention needed");
    assert_eq!(e.colour, RED);
    assert_eq!(field(&e, "Missing models"), "14");
    assert_eq!(field(&e, "Last scan"), "never");
    assert_eq!(field(&e, "Alert outbox"), "empty");

    // A corrupt model file is counted; a scan with an event shows in the outbox.
    std::fs::create_dir_all(f.ctx.state.models()).unwrap();
    std::fs::write(f.ctx.state.model_path("SPY"), b"not a model").unwrap();
    let mut c = scan("2024-05-03", 100_000.0);
    c.events = vec![NewOutboxEvent {
        dedupe_key: "signals:2024-05-03".into(),
        kind: "signals".into(),
        payload_json: r#"{"type":"signals","data":[]}"#.into(),
    }];
    c.backends = vec!["discord".into()];
    commit_on_base(f.store(), c).await;
    let e = commands::health(&f.ctx, "u1").await.unwrap();
    assert_eq!(field(&e, "Corrupt models"), "1");
    assert_eq!(field(&e, "Missing models"), "13");
    assert_eq!(
        field(&e, "Last scan"),
        "2024-05-03 (ok, 14 scanned, 0 signals; finished 2024-05-03 21:35 UTC)"
    );
    assert_eq!(
        field(&e, "Alert outbox"),
        "discord: 1 pending · 0 delivered · 0 dead"
    );
}

#[tokio::test]
async fn history_limits_and_splits_long_lists() {
    let f = Fixture::new().await;
    for i in 0..60 {
        commands::enter(
            &f.ctx,
            "u1",
            enter_args("AAPL", 100.0 + i as f64, Some(0.01)),
        )
        .await
        .unwrap();
        f.advance(Duration::minutes(1));
    }
    let h = commands::history(&f.ctx, "u1", HistoryArgs::default())
        .await
        .unwrap();
    let lines: Vec<String> = h
        .iter()
        .flat_map(|e| {
            e.description
                .clone()
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(lines.len(), 10);
    assert!(
        lines[0].starts_with("`#60` **AAPL**"),
        "newest first: {}",
        lines[0]
    );
    let h = commands::history(
        &f.ctx,
        "u1",
        HistoryArgs {
            ticker: Some("aapl".into()),
            limit: Some(50),
        },
    )
    .await
    .unwrap();
    let n: usize = h
        .iter()
        .map(|e| e.description.as_deref().unwrap().lines().count())
        .sum();
    assert_eq!(n, 50);
    for e in &h {
        assert!(e.description.as_deref().unwrap().chars().count() <= 4096);
    }
}

// ---- extreme numbers -----------------------------------------------------------

/// Numbers a user can type into a Discord NUMBER option: the edges of f64,
/// typos of magnitude, ordinary values, signs, NaN and the infinities.
const EXTREMES: [f64; 19] = [
    1e-310,
    f64::MIN_POSITIVE,
    1e-12,
    1e-4,
    0.01,
    0.5,
    1.0,
    187.5,
    1e7,
    1e12,
    1e300,
    f64::MAX,
    0.0,
    -0.0,
    -1.0,
    f64::MIN,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

/// A refusal the user can act on: their mistake (not "something went
/// wrong"), one short line naming the field, the value and a range.
fn assert_refused_clearly(what: &str, field: &str, value: f64, e: &CommandError) {
    let msg = e.to_string();
    assert!(e.is_user_error(), "{what}: not the user's error: {msg}");
    assert!(
        msg.starts_with(field),
        "{what}: does not name {field}: {msg}"
    );
    let shown = [format!("{value}"), format!("{value:e}")];
    assert!(
        shown.iter().any(|s| msg.contains(&format!("(got {s})"))),
        "{what}: does not show {value}: {msg}"
    );
    assert!(
        msg.contains(" from ") && msg.contains(" to "),
        "{what}: no range: {msg}"
    );
    assert!(
        msg.len() <= 160 && !msg.contains('\n'),
        "{what}: not one short line: {msg}"
    );
}

/// Every figure of a reply is a number: no `NaN`, `inf` or `n/a`.
fn assert_finite_reply(what: &str, e: &Embed) {
    let text = as_text(e);
    for bad in ["NaN", "inf", "n/a"] {
        assert!(!text.contains(bad), "{what}: {bad} in the reply:\n{text}");
    }
}

/// Everything the journal holds for `user` is finite and nothing is open.
async fn assert_journal_finite_and_closed(f: &Fixture, what: &str, user: &str) {
    for t in f.store().user_trades(user, None, None).await.unwrap() {
        assert!(!t.is_open(), "{what}: lot #{} still open", t.id);
        let figures = [Some(t.entry_price), t.exit_price, t.pnl_pct, t.pnl_usd];
        for x in figures.into_iter().flatten() {
            assert!(x.is_finite(), "{what}: stored {x} in {t:?}");
        }
    }
    let e = commands::pnl(&f.ctx, user, Period::All).await.unwrap();
    assert_finite_reply(&format!("{what}: /pnl"), &e);
    for e in commands::history(&f.ctx, user, HistoryArgs::default())
        .await
        .unwrap()
    {
        assert_finite_reply(&format!("{what}: /history"), &e);
    }
}

/// `/enter` then `/exit`: each is refused clearly or accepted with finite
/// figures, and the lot can always be closed (at a plain price if the exit
/// price was refused).
async fn round_trip(f: &Fixture, what: &str, user: &str, args: EnterArgs, exit_price: f64) {
    let enter_what = format!("{what}: /enter {args:?}");
    let entered = match commands::enter(&f.ctx, user, args.clone()).await {
        Ok(e) => e,
        Err(e) => {
            if matches!(
                e,
                CommandError::StopNotBelowPrice { .. } | CommandError::TargetNotAbovePrice { .. }
            ) {
                assert!(e.is_user_error(), "{enter_what}: {e}");
                return;
            }
            // The first input outside its range, in the order they are checked.
            let outside = |v: Option<f64>, lo: f64, hi: f64| v.filter(|x| !(lo..=hi).contains(x));
            let (field, value) = [
                ("price", outside(Some(args.price), 1e-4, 1e7)),
                ("size", outside(args.size, 1e-4, 1.0)),
                ("stop", outside(args.stop, 1e-4, 1e7)),
                ("target", outside(args.target, 1e-4, 1e7)),
            ]
            .into_iter()
            .find_map(|(field, v)| v.map(|v| (field, v)))
            .unwrap_or_else(|| panic!("{enter_what}: refused valid input: {e}"));
            assert_refused_clearly(&enter_what, field, value, &e);
            return;
        }
    };
    assert_finite_reply(&enter_what, &entered);
    let exit_what = format!("{what}: /exit {exit_price}");
    let exited = match commands::exit(&f.ctx, user, exit_args(&args.ticker, exit_price)).await {
        Ok(e) => e,
        Err(e) => {
            assert_refused_clearly(&exit_what, "price", exit_price, &e);
            commands::exit(&f.ctx, user, exit_args(&args.ticker, 100.0))
                .await
                .unwrap_or_else(|e| panic!("{exit_what}: the lot cannot be closed: {e}"))
        }
    };
    assert_finite_reply(&exit_what, &exited);
}

#[tokio::test]
async fn extreme_numbers_are_refused_clearly_or_give_finite_figures() {
    let f = Fixture::new().await;

    // Capital: refused, or accepted and stored as typed.
    let mut capitals = vec![None];
    for (i, &c) in EXTREMES.iter().enumerate() {
        let user = format!("30000000000000{i:02}");
        match commands::set_capital(&f.ctx, &user, c).await {
            Ok(e) => {
                assert_finite_reply(&format!("/setcapital {c}"), &e);
                let stored = f.store().user(&user).await.unwrap().unwrap().capital;
                assert_eq!(stored, Some(c));
                capitals.push(Some(c));
            }
            Err(e) => assert_refused_clearly(&format!("/setcapital {c}"), "capital", c, &e),
        }
    }
    assert!(
        capitals.len() > 3,
        "ordinary capitals are accepted: {capitals:?}"
    );

    for (i, capital) in capitals.iter().enumerate() {
        let user = format!("31000000000000{i:02}");
        if let Some(c) = capital {
            commands::set_capital(&f.ctx, &user, *c).await.unwrap();
        }
        let what = format!("capital {capital:?}");
        // Every entry price against every exit price.
        for &entry in &EXTREMES {
            for &exit in &EXTREMES {
                let args = enter_args("AAPL", entry, Some(1.0));
                round_trip(&f, &what, &user, args, exit).await;
            }
        }
        // Every size at the widest returns.
        for &size in &EXTREMES {
            for (entry, exit) in [(1e-4, 1e7), (1e7, 1e-4), (1e-4, 1e-4)] {
                let args = enter_args("AAPL", entry, Some(size));
                round_trip(&f, &what, &user, args, exit).await;
            }
        }
        assert_journal_finite_and_closed(&f, &what, &user).await;
    }

    // Every stop and target around an ordinary entry.
    let user = "320000000000000001";
    commands::set_capital(&f.ctx, user, 1e12).await.unwrap();
    for &stop in &EXTREMES {
        for &target in &EXTREMES {
            let args = EnterArgs {
                stop: Some(stop),
                target: Some(target),
                ..enter_args("AAPL", 100.0, Some(1.0))
            };
            round_trip(&f, "levels", user, args, 150.0).await;
        }
    }
    assert_journal_finite_and_closed(&f, "levels", user).await;

    // The exact wording at the edges.
    let refusal = |e: CommandError| e.to_string();
    assert_eq!(
        refusal(
            commands::enter(&f.ctx, user, enter_args("AAPL", 1e-310, Some(0.1)))
                .await
                .unwrap_err()
        ),
        "price must be a number from 0.0001 to 10000000 (got 1e-310)"
    );
    assert_eq!(
        refusal(
            commands::set_capital(&f.ctx, user, f64::MAX)
                .await
                .unwrap_err()
        ),
        "capital must be a number from 1 to 1e12 (got 1.7976931348623157e308)"
    );
}

/// A lot recorded before prices were bounded (entry 1e-310) closes with an
/// unknown P&L instead of failing forever and blocking the later lots.
#[tokio::test]
async fn a_lot_with_an_absurd_entry_still_closes() {
    let f = Fixture::new().await;
    let me = "330000000000000001";
    commands::set_capital(&f.ctx, me, 10_000.0).await.unwrap();
    f.store()
        .insert_user_trade(&rally_store::NewUserTrade {
            user_id: me.into(),
            ticker: "AAPL".into(),
            entry_price: 1e-310,
            size: 0.5,
            stop: None,
            target: None,
            entered_at: f.ctx.now(),
        })
        .await
        .unwrap();
    f.advance(Duration::minutes(1));
    commands::enter(&f.ctx, me, enter_args("AAPL", 100.0, Some(0.1)))
        .await
        .unwrap();

    let e = commands::exit(&f.ctx, me, exit_args("AAPL", 100.0))
        .await
        .unwrap();
    assert_eq!(field(&e, "P&L"), "unknown");
    assert_eq!(field(&e, "P&L $"), "unknown");
    assert_eq!(field(&e, "Open lots left in AAPL"), "1");
    assert_finite_reply("legacy exit", &e);

    // FIFO goes on to the next lot.
    let e = commands::exit(&f.ctx, me, exit_args("AAPL", 110.0))
        .await
        .unwrap();
    assert_eq!(field(&e, "P&L"), "+10.00%");
    assert_eq!(field(&e, "P&L $"), "+$100.00");
    assert_journal_finite_and_closed(&f, "legacy", me).await;
}

/// Replies write numbers the way every other part of the system does
/// (`rally_text`): prices grouped like money, and a loss too small to show
/// is `+0.00%`, never `-0.00%`.
#[tokio::test]
async fn replies_use_the_shared_number_formats() {
    let f = Fixture::new().await;
    let me = "340000000000000001";
    commands::set_capital(&f.ctx, me, 1_000_000.0)
        .await
        .unwrap();
    let e = commands::enter(&f.ctx, me, enter_args("AAPL", 5064.914, Some(0.25)))
        .await
        .unwrap();
    assert_eq!(field(&e, "Entry"), "$5,064.91");
    assert_eq!(field(&e, "Allocation"), "$250,000.00");
    let e = commands::exit(&f.ctx, me, exit_args("AAPL", 5064.9))
        .await
        .unwrap();
    assert_eq!(field(&e, "Exit"), "$5,064.90");
    assert_eq!(field(&e, "P&L"), "+0.00%");
    assert_eq!(field(&e, "P&L $"), "-$0.69");
    let h = commands::history(&f.ctx, me, HistoryArgs::default())
        .await
        .unwrap();
    let line = h[0].description.as_deref().unwrap();
    assert!(
        line.contains("$5,064.91 → $5,064.90") && line.contains("**+0.00%** (-$0.69)"),
        "{line}"
    );
}
