//! The dashboard on a store filled by the pipeline itself: the synthetic
//! demo that `scanner --demo` runs (`rally_pipeline::demo`), then the
//! `--once` frame and every tab.

#![allow(clippy::unwrap_used)]

use dashboard::app::{App, Tab};
use dashboard::data::{self, LoadOptions, StoreState};
use dashboard::ui;
use rally_pipeline::state::StateDir;
use rally_trade::TradeConfig;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[test]
fn demo_store_gives_a_filled_screen() {
    let dir = tempfile::tempdir().unwrap();
    // DASHBOARD_DEMO_ROOT=<dir> keeps the demo store there (for manual runs
    // of `dashboard --demo` with <dir> as the working directory).
    let root = std::env::var_os("DASHBOARD_DEMO_ROOT")
        .map_or_else(|| dir.path().to_path_buf(), std::path::PathBuf::from);
    let state = StateDir::new(root.join("demo"));
    let cfg = TradeConfig::named("baseline").unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(rally_pipeline::demo::run_demo(&state, &cfg, None))
        .unwrap();

    let opts = LoadOptions {
        database_url: state.database_url(false),
        state,
        journal: 50,
        equity: 90,
        scan_clock: true,
    };
    let s = data::load(&opts).unwrap();
    assert_eq!(s.store, StoreState::Ok);
    assert!(s.last_scan.is_some());
    assert!(!s.equity.is_empty());
    assert!(s.scan_clock);
    assert!(
        s.health.fresh > 0,
        "the demo trains its models: {:?}",
        s.health
    );
    // What the replay leaves depends on the synthetic market; it must leave
    // something to show (open positions are checked when there are some).
    assert!(
        !s.journal.is_empty(),
        "the demo journals closed trades (open positions: {})",
        s.positions.len()
    );

    let text = dashboard::render_once(&s, 120, 40, false).unwrap();
    assert!(!text.contains('\x1b'));
    for p in s.positions.iter().take(3) {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("│{:<9}", p.ticker)) || l.contains(&p.ticker))
            .unwrap_or_else(|| panic!("{} missing in\n{text}", p.ticker));
        if let Some(d) = p.entry_date {
            assert!(line.contains(&d.to_string()), "{line}");
        }
    }
    let newest = &s.journal[0];
    let line = text
        .lines()
        .find(|l| l.contains(&newest.exit_date.to_string()) && l.contains(&newest.ticker))
        .unwrap_or_else(|| panic!("newest journal row missing in\n{text}"));
    let sign = if newest.trade_return < -0.00005 {
        "-"
    } else {
        "+"
    };
    assert!(
        line.contains(&format!(
            "{sign}{:.2}%",
            (newest.trade_return * 100.0).abs()
        )),
        "{line}"
    );
    assert!(line.contains(&newest.reason), "{line}");

    for tab in Tab::ALL {
        let mut app = App::new(s.clone());
        app.tab = tab;
        let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
        t.draw(|f| ui::draw(f, &app)).unwrap();
        let screen = ui::buffer_to_plain(t.backend().buffer());
        assert!(
            !screen.contains("run `scanner`"),
            "{tab:?} shows the empty-state text\n{screen}"
        );
    }
}
