//! Writes the synthetic demo report: `cargo run -p rally-report --example
//! demo_report -- OUT.html` (default `report-demo.html`). Open it, or
//! screenshot it for `docs/report.png`:
//! `chromium --headless --disable-gpu --no-sandbox --hide-scrollbars
//! --screenshot=docs/report.png --window-size=1280,2400 file://$PWD/OUT.html`

use std::path::PathBuf;

fn main() -> Result<(), rally_report::ReportError> {
    let path = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("report-demo.html"), PathBuf::from);
    rally_report::write(&rally_report::demo::demo_report(), &path)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
