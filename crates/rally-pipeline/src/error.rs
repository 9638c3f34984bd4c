use std::path::PathBuf;

/// Errors of the pipeline. Library code returns these; binaries print them
/// as one line (`{:#}`). A variant whose message already holds the inner
/// error's text does not also expose it as `source()`, so the line never
/// repeats itself ("database is locked: database is locked").
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Data(#[from] rally_data::DataError),
    #[error(transparent)]
    Model(#[from] rally_model::ModelError),
    #[error(transparent)]
    Artefact(#[from] rally_model::live::ArtefactError),
    #[error(transparent)]
    Trade(#[from] rally_trade::TradeError),
    #[error("state store: {0}")]
    Store(rally_store::StoreError),
    #[error("alerts: {0}")]
    Notify(rally_notify::NotifyError),
    #[error("{ticker}: {error}")]
    Ticker {
        ticker: String,
        error: Box<PipelineError>,
    },
    #[error("{ticker}: only {bars} usable bars")]
    TooShort { ticker: String, bars: usize },
    /// The data guard found damage it cannot repair unambiguously; the
    /// ticker sits this run out.
    #[error("{ticker}: quarantined for this run: {reason}")]
    Quarantined { ticker: String, reason: String },
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Other scans kept committing while this one computed.
    #[error("the scan lost {attempts} races against concurrent scans; run it again")]
    ScanContention { attempts: usize },
    #[error("{ticker}: live model not trained: {why}")]
    NotTrained { ticker: String, why: String },
    #[error("serialising {what}: {error}")]
    Json {
        what: &'static str,
        error: serde_json::Error,
    },
    #[error("{ticker}: stored position state is unreadable: {error}")]
    StoredPosition {
        ticker: String,
        error: serde_json::Error,
    },
    #[error("the demo found no trading day to replay")]
    NoTradingDays,
}

impl PipelineError {
    /// Prefix the ticker unless the error already names it.
    pub fn for_ticker(self, ticker: &str) -> PipelineError {
        match &self {
            PipelineError::Ticker { .. }
            | PipelineError::TooShort { .. }
            | PipelineError::Quarantined { .. }
            | PipelineError::NotTrained { .. }
            | PipelineError::StoredPosition { .. } => self,
            PipelineError::Data(e) if e.ticker().is_some() => self,
            _ => PipelineError::Ticker {
                ticker: ticker.to_owned(),
                error: Box::new(self),
            },
        }
    }

    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> PipelineError {
        PipelineError::Io {
            path: path.into(),
            error,
        }
    }
}

impl PipelineError {
    /// A serde error while writing `what`.
    pub fn json(what: &'static str) -> impl FnOnce(serde_json::Error) -> PipelineError {
        move |error| PipelineError::Json { what, error }
    }
}

impl From<rally_store::StoreError> for PipelineError {
    fn from(e: rally_store::StoreError) -> Self {
        PipelineError::Store(e)
    }
}

impl From<rally_notify::NotifyError> for PipelineError {
    fn from(e: rally_notify::NotifyError) -> Self {
        PipelineError::Notify(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every error's source chain, as `{:#}` of anyhow prints it.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut out = e.to_string();
        let mut cur = e.source();
        while let Some(s) = cur {
            out.push_str(": ");
            out.push_str(&s.to_string());
            cur = s.source();
        }
        out
    }

    #[test]
    fn printed_chains_never_repeat_the_cause() {
        let io = || std::io::Error::other("database is locked");
        let cases = [
            PipelineError::io("/x/models", io()),
            PipelineError::io("/x", io()).for_ticker("SPY"),
            PipelineError::Store(rally_store::StoreError::Io {
                path: "/x/rally.db".into(),
                error: io(),
            }),
        ];
        for e in cases {
            let text = chain(&e);
            assert_eq!(text.matches("database is locked").count(), 1, "{text}");
        }
    }
}
