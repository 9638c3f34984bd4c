//! The framing every model artefact shares: `RALLYMDL` + a little-endian
//! `u32` format version + a named MessagePack body, written atomically
//! (temporary file in the same directory, then rename). A damaged file or
//! another format version is a typed [`ArtefactError`], never a half-read
//! model.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::live::ArtefactError;

/// The first eight bytes of every model file.
pub const MAGIC: &[u8; 8] = b"RALLYMDL";

/// Frame `body` as an artefact of format `version`.
pub fn encode<T: Serialize>(version: u32, body: &T) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    rmp_serde::encode::write_named(&mut out, body).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Read an artefact of format `expected` read from `path`.
pub fn decode<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
    expected: u32,
) -> Result<T, ArtefactError> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(corrupt(path, "not a rally model file"));
    }
    let mut v = [0u8; 4];
    v.copy_from_slice(&bytes[8..12]);
    let found = u32::from_le_bytes(v);
    if found != expected {
        return Err(ArtefactError::Version {
            path: path.to_owned(),
            found,
            expected,
        });
    }
    rmp_serde::from_slice(&bytes[12..]).map_err(|e| corrupt(path, &e.to_string()))
}

/// A corrupt-file error for `path`.
pub fn corrupt(path: &Path, detail: &str) -> ArtefactError {
    ArtefactError::Corrupt {
        path: path.to_owned(),
        detail: detail.to_owned(),
    }
}

/// Write `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ArtefactError> {
    let io = |source| ArtefactError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The bytes of `path`.
pub fn read(path: &Path) -> Result<Vec<u8>, ArtefactError> {
    std::fs::read(path).map_err(|source| ArtefactError::Io {
        path: path.to_owned(),
        source,
    })
}
