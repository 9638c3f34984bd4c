//! Application state and key handling. Pure: no terminal, no I/O, so every
//! key binding is unit-tested.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::data::Snapshot;

/// The dashboard's tabs, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Positions,
    Signals,
    Journal,
    Health,
}

impl Tab {
    /// All tabs, in display order (keys 1-5).
    pub const ALL: [Tab; 5] = [
        Tab::Overview,
        Tab::Positions,
        Tab::Signals,
        Tab::Journal,
        Tab::Health,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Positions => "Positions",
            Tab::Signals => "Signals",
            Tab::Journal => "Journal",
            Tab::Health => "Health",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    pub fn prev(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

/// What the event loop must do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Redraw (state may have changed).
    None,
    /// Reload the snapshot from the store.
    Reload,
    /// Leave the dashboard.
    Quit,
}

/// Rows a page-up/down moves.
const PAGE: usize = 10;

/// The dashboard's state.
#[derive(Debug, Clone)]
pub struct App {
    pub tab: Tab,
    /// Selected row per tab (index by [`Tab::index`]).
    pub selected: [usize; 5],
    pub snapshot: Snapshot,
    /// One-line status message (reload result, errors).
    pub status: Option<String>,
    pub quit: bool,
}

impl App {
    pub fn new(snapshot: Snapshot) -> App {
        App {
            tab: Tab::Overview,
            selected: [0; 5],
            snapshot,
            status: None,
            quit: false,
        }
    }

    /// Replaces the snapshot, keeping each tab's selection in bounds.
    pub fn set_snapshot(&mut self, snapshot: Snapshot) {
        self.snapshot = snapshot;
        for tab in Tab::ALL {
            let n = self.rows(tab);
            let s = &mut self.selected[tab.index()];
            *s = (*s).min(n.saturating_sub(1));
        }
    }

    /// Number of scrollable rows of a tab.
    pub fn rows(&self, tab: Tab) -> usize {
        let s = &self.snapshot;
        match tab {
            Tab::Overview => 0,
            Tab::Positions => s.positions.len(),
            Tab::Signals => s.signals.len() + s.market.watchlist.len(),
            Tab::Journal => s.journal.len(),
            Tab::Health => s.health.models.len(),
        }
    }

    /// The selected row of the current tab.
    pub fn selected(&self) -> usize {
        self.selected[self.tab.index()]
    }

    fn scroll_by(&mut self, delta: isize) {
        let n = self.rows(self.tab);
        let s = &mut self.selected[self.tab.index()];
        let max = n.saturating_sub(1);
        *s = s.saturating_add_signed(delta).min(max);
    }

    /// Handles one key event.
    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Char('r') => return Action::Reload,
            KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => self.tab = self.tab.next(),
            KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => self.tab = self.tab.prev(),
            KeyCode::Char(c @ '1'..='5') => {
                let i = c as usize - '1' as usize;
                self.tab = Tab::ALL[i];
            }
            KeyCode::Down | KeyCode::Char('j') => self.scroll_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll_by(-1),
            KeyCode::PageDown => self.scroll_by(PAGE as isize),
            KeyCode::PageUp => self.scroll_by(-(PAGE as isize)),
            KeyCode::Home | KeyCode::Char('g') => self.selected[self.tab.index()] = 0,
            KeyCode::End | KeyCode::Char('G') => self.scroll_by(isize::MAX),
            _ => {}
        }
        if self.quit {
            Action::Quit
        } else {
            Action::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::StoreState;
    use chrono::NaiveDate;
    use rally_store::ClosedTradeRow;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn app_with_journal(n: usize) -> App {
        let mut s = Snapshot::empty("test.db", StoreState::Ok, "models".into());
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap_or_default();
        for i in 0..n {
            s.journal.push(ClosedTradeRow {
                ticker: format!("T{i}"),
                signal_date: d,
                entry_date: d,
                exit_date: d,
                entry_fill: 10.0,
                exit_price: 11.0,
                stop: 9.0,
                target: 12.0,
                size: 0.1,
                shares: 10.0,
                p_rally: 0.6,
                reason: "target".into(),
                bars_held: 3,
                trade_return: 0.1,
                pnl: 10.0,
            });
        }
        App::new(s)
    }

    #[test]
    fn tab_cycles_forward_and_back() {
        let mut app = app_with_journal(0);
        let mut seen = vec![app.tab];
        for _ in 0..5 {
            assert_eq!(app.on_key(key(KeyCode::Tab)), Action::None);
            seen.push(app.tab);
        }
        assert_eq!(
            seen,
            vec![
                Tab::Overview,
                Tab::Positions,
                Tab::Signals,
                Tab::Journal,
                Tab::Health,
                Tab::Overview
            ]
        );
        app.on_key(key(KeyCode::BackTab));
        assert_eq!(app.tab, Tab::Health);
        app.on_key(key(KeyCode::Left));
        assert_eq!(app.tab, Tab::Journal);
        app.on_key(key(KeyCode::Right));
        assert_eq!(app.tab, Tab::Health);
        app.on_key(key(KeyCode::Right));
        assert_eq!(app.tab, Tab::Overview);
    }

    #[test]
    fn number_keys_jump_to_tabs() {
        let mut app = app_with_journal(0);
        app.on_key(key(KeyCode::Char('4')));
        assert_eq!(app.tab, Tab::Journal);
        app.on_key(key(KeyCode::Char('1')));
        assert_eq!(app.tab, Tab::Overview);
        app.on_key(key(KeyCode::Char('5')));
        assert_eq!(app.tab, Tab::Health);
        app.on_key(key(KeyCode::Char('9')));
        assert_eq!(app.tab, Tab::Health);
    }

    #[test]
    fn scrolling_stays_in_bounds() {
        let mut app = app_with_journal(3);
        app.on_key(key(KeyCode::Char('4')));
        app.on_key(key(KeyCode::Up));
        assert_eq!(app.selected(), 0);
        for _ in 0..10 {
            app.on_key(key(KeyCode::Down));
        }
        assert_eq!(app.selected(), 2);
        app.on_key(key(KeyCode::PageUp));
        assert_eq!(app.selected(), 0);
        app.on_key(key(KeyCode::End));
        assert_eq!(app.selected(), 2);
        app.on_key(key(KeyCode::Home));
        assert_eq!(app.selected(), 0);
        // Other tabs keep their own selection; an empty table stays at 0.
        app.on_key(key(KeyCode::Char('2')));
        app.on_key(key(KeyCode::Down));
        assert_eq!(app.selected(), 0);
    }

    #[test]
    fn reload_clamps_selection() {
        let mut app = app_with_journal(5);
        app.on_key(key(KeyCode::Char('4')));
        app.on_key(key(KeyCode::End));
        assert_eq!(app.selected(), 4);
        let smaller = app_with_journal(2).snapshot;
        app.set_snapshot(smaller);
        assert_eq!(app.selected(), 1);
    }

    #[test]
    fn quit_and_reload_keys() {
        let mut app = app_with_journal(0);
        assert_eq!(app.on_key(key(KeyCode::Char('r'))), Action::Reload);
        assert!(!app.quit);
        assert_eq!(app.on_key(key(KeyCode::Char('q'))), Action::Quit);
        let mut app = app_with_journal(0);
        assert_eq!(app.on_key(key(KeyCode::Esc)), Action::Quit);
        let mut app = app_with_journal(0);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.on_key(ctrl_c), Action::Quit);
        // Key releases (Windows) are ignored.
        let mut app = app_with_journal(0);
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(app.on_key(release), Action::None);
        assert!(!app.quit);
    }
}
