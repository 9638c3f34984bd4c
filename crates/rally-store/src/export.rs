//! CSV exports for spreadsheet users, written atomically (temp file in the
//! same directory, then rename) so a reader never sees a half-written file and
//! a crash leaves the previous export intact. Row order is deterministic, so
//! the same state always exports byte-identical files.

use std::path::{Path, PathBuf};

use crate::rows::{ClosedTradeRow, EquitySnapshot};
use crate::{Result, Store, StoreError};

/// File name of the journal export, conventionally under `models/`.
pub const JOURNAL_CSV: &str = "trade_journal.csv";
/// File name of the equity export, conventionally under `models/`.
pub const EQUITY_CSV: &str = "equity_history.csv";

impl Store {
    /// Writes the closed-trade journal to `path`, oldest exit first (ties by
    /// ticker, then signal date). Returns the number of rows.
    pub async fn export_journal_csv(&self, path: &Path) -> Result<usize> {
        let mut rows: Vec<ClosedTradeRow> = self.closed_trades(None).await?;
        rows.sort_by(|a, b| {
            (a.exit_date, &a.ticker, a.signal_date).cmp(&(b.exit_date, &b.ticker, b.signal_date))
        });
        let n = rows.len();
        write_atomic(path.to_path_buf(), move |w| {
            w.write_record([
                "ticker",
                "signal_date",
                "entry_date",
                "exit_date",
                "entry_fill",
                "exit_price",
                "stop",
                "target",
                "size",
                "shares",
                "p_rally",
                "reason",
                "bars_held",
                "return",
                "pnl",
            ])?;
            for r in &rows {
                w.write_record([
                    r.ticker.clone(),
                    r.signal_date.to_string(),
                    r.entry_date.to_string(),
                    r.exit_date.to_string(),
                    r.entry_fill.to_string(),
                    r.exit_price.to_string(),
                    r.stop.to_string(),
                    r.target.to_string(),
                    r.size.to_string(),
                    r.shares.to_string(),
                    r.p_rally.to_string(),
                    r.reason.clone(),
                    r.bars_held.to_string(),
                    r.trade_return.to_string(),
                    r.pnl.to_string(),
                ])?;
            }
            Ok(())
        })
        .await?;
        Ok(n)
    }

    /// Writes the equity history to `path`, oldest first. Returns the number of rows.
    pub async fn export_equity_csv(&self, path: &Path) -> Result<usize> {
        let rows: Vec<EquitySnapshot> = self.equity_history(None).await?;
        let n = rows.len();
        write_atomic(path.to_path_buf(), move |w| {
            w.write_record(["date", "equity", "cash", "exposure", "n_open"])?;
            for r in &rows {
                w.write_record([
                    r.date.to_string(),
                    r.equity.to_string(),
                    r.cash.to_string(),
                    r.exposure.to_string(),
                    r.n_open.to_string(),
                ])?;
            }
            Ok(())
        })
        .await?;
        Ok(n)
    }

    /// Writes both exports into `models_dir` under their conventional names.
    pub async fn export_all(&self, models_dir: &Path) -> Result<()> {
        self.export_journal_csv(&models_dir.join(JOURNAL_CSV))
            .await?;
        self.export_equity_csv(&models_dir.join(EQUITY_CSV)).await?;
        Ok(())
    }
}

async fn write_atomic<F>(path: PathBuf, fill: F) -> Result<()>
where
    F: FnOnce(&mut csv::Writer<&mut std::fs::File>) -> Result<()> + Send + 'static,
{
    tokio::task::spawn_blocking(move || write_atomic_blocking(&path, fill))
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

fn write_atomic_blocking<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut csv::Writer<&mut std::fs::File>) -> Result<()>,
{
    let io = |error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io)?;
    {
        let mut w = csv::Writer::from_writer(tmp.as_file_mut());
        fill(&mut w)?;
        w.flush().map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
