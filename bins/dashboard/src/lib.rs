//! The rally detector's terminal dashboard, as a library so the rendering
//! and key handling are testable without a terminal.
//!
//! - [`app`]: state and key handling (pure);
//! - [`data`]: loading a [`data::Snapshot`] from the state store (read-only);
//! - [`ui`]: rendering a snapshot into a ratatui frame (pure);
//! - the binary (`main.rs`): arguments and the terminal lifecycle.

pub mod app;
pub mod data;
pub mod ui;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Renders the `--once` dashboard of `snapshot` off-screen at `width` x
/// `height` and returns it as text: plain (trailing spaces trimmed) or with
/// ANSI colours.
pub fn render_once(
    snapshot: &data::Snapshot,
    width: u16,
    height: u16,
    ansi: bool,
) -> anyhow::Result<String> {
    let mut terminal = Terminal::new(TestBackend::new(width.max(40), height.max(20)))?;
    terminal.draw(|f| ui::draw_once(f, snapshot))?;
    let buf = terminal.backend().buffer();
    Ok(if ansi {
        ui::buffer_to_ansi(buf)
    } else {
        ui::buffer_to_plain(buf)
    })
}
