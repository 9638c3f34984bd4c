use std::path::PathBuf;

/// Errors of the pipeline. Library code returns these; binaries print them
/// as one line.
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
    Store(#[from] rally_store::StoreError),
    #[error("alerts: {0}")]
    Notify(#[from] rally_notify::NotifyError),
    #[error("{ticker}: {source}")]
    Ticker {
        ticker: String,
        #[source]
        source: Box<PipelineError>,
    },
    #[error("{ticker}: only {bars} usable bars")]
    TooShort { ticker: String, bars: usize },
    /// The data guard found damage it cannot repair unambiguously; the
    /// ticker sits this run out.
    #[error("{ticker}: quarantined for this run: {reason}")]
    Quarantined { ticker: String, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl PipelineError {
    /// Prefix the ticker unless the error already names it.
    pub fn for_ticker(self, ticker: &str) -> PipelineError {
        match &self {
            PipelineError::Ticker { .. }
            | PipelineError::TooShort { .. }
            | PipelineError::Quarantined { .. } => self,
            PipelineError::Data(e) if e.ticker().is_some() => self,
            _ => PipelineError::Ticker {
                ticker: ticker.to_owned(),
                source: Box::new(self),
            },
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> PipelineError {
        PipelineError::Io {
            path: path.into(),
            source,
        }
    }
}
