use std::path::PathBuf;

/// Everything that can go wrong getting one ticker's bars. Every variant names
/// the ticker and, where there is one, the file, so a user can act on it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{ticker}: {}: no such file", path.display())]
    NotFound { ticker: String, path: PathBuf },
    #[error("{ticker}: {}: cannot read: {source}", path.display())]
    Io {
        ticker: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{ticker}: {}: not a text CSV file (binary content at byte {offset})", path.display())]
    NotText {
        ticker: String,
        path: PathBuf,
        offset: usize,
    },
    #[error("{ticker}: {}: line 1: missing column {column:?} (header must be Date,Open,High,Low,Close[,Adj Close][,Volume])", path.display())]
    MissingColumn {
        ticker: String,
        path: PathBuf,
        column: &'static str,
    },
    #[error("{ticker}: {}: no usable rows ({detail})", path.display())]
    NoUsableRows {
        ticker: String,
        path: PathBuf,
        detail: String,
    },
    #[error("{ticker}: yahoo: {message}")]
    Remote { ticker: String, message: String },
    #[error("cache {}: {message}", path.display())]
    Cache { path: PathBuf, message: String },
    #[error("universe {}: {message}", path.display())]
    Universe { path: PathBuf, message: String },
    #[error("unknown source {0:?} (expected yahoo, csv:DIR or synthetic[:SEED])")]
    UnknownSource(String),
    #[error("the {name} source is not built into this binary (cargo feature `{feature}`)")]
    NotBuiltIn {
        name: &'static str,
        feature: &'static str,
    },
    #[error("csv source: directory {} does not exist", path.display())]
    MissingSourceDir { path: PathBuf },
    #[error("csv source: {} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("setting {name}={value:?}: expected {expected}")]
    Setting {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl DataError {
    /// The ticker this error is about, if any.
    pub fn ticker(&self) -> Option<&str> {
        match self {
            DataError::NotFound { ticker, .. }
            | DataError::Io { ticker, .. }
            | DataError::NotText { ticker, .. }
            | DataError::MissingColumn { ticker, .. }
            | DataError::NoUsableRows { ticker, .. }
            | DataError::Remote { ticker, .. } => Some(ticker),
            _ => None,
        }
    }
}
