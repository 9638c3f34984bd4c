//! Recorded pages on 127.0.0.1: `GET /path` answers with the page set for
//! that path (`200`), or `404` for any other path. Pages can be replaced
//! while it runs (a source whose layout changes between two refreshes).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};

use crate::http::{read_request, respond};

/// One page: its content type and body.
#[derive(Debug, Clone)]
struct Page {
    ctype: String,
    body: String,
}

/// A running page server (the accept thread ends with the test process).
#[derive(Debug)]
pub struct Pages {
    base: String,
    pages: Arc<Mutex<HashMap<String, Page>>>,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Pages {
    pub fn start() -> std::io::Result<Pages> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let pages: Arc<Mutex<HashMap<String, Page>>> = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let (served, seen) = (pages.clone(), hits.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let Some(r) = read_request(&conn) else {
                    continue;
                };
                seen.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(r.path.clone());
                let page = served
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(&r.path)
                    .cloned();
                match page {
                    Some(p) => respond(conn, 200, &[], &p.ctype, &p.body),
                    None => respond(conn, 404, &[], "text/plain", "not found"),
                }
            }
        });
        Ok(Pages { base, pages, hits })
    }

    /// Serves `body` at `path` (e.g. `/wiki/Nasdaq-100`) from now on.
    pub fn set(&self, path: &str, ctype: &str, body: &str) {
        self.pages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                path.to_owned(),
                Page {
                    ctype: ctype.to_owned(),
                    body: body.to_owned(),
                },
            );
    }

    /// The full URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The paths requested so far, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
