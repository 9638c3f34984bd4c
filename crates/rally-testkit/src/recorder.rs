//! A webhook receiver on 127.0.0.1 that keeps every request it was sent and
//! answers `200 ok` — or, as [`Recorder::echoing_errors`], fails every
//! request with a body that echoes the request's path and query the way
//! Express or Spring error pages do (the secret-leak test).

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};

use crate::http::{read_request, respond};

/// One request the recorder received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: String,
}

/// A running receiver (the accept thread ends with the test process).
#[derive(Debug)]
pub struct Recorder {
    base: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Recorder {
    /// Answers every request `200 ok`.
    pub fn start() -> std::io::Result<Recorder> {
        Recorder::serve(false)
    }

    /// Answers every request `500` with `{"error":"Internal Server Error","path":"<path?query>"}`.
    pub fn echoing_errors() -> std::io::Result<Recorder> {
        Recorder::serve(true)
    }

    fn serve(echo: bool) -> std::io::Result<Recorder> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let Some(r) = read_request(&conn) else {
                    continue;
                };
                let echoed = format!(
                    r#"{{"error":"Internal Server Error","path":"{}"}}"#,
                    r.path.replace('"', "")
                );
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(Received {
                        method: r.method,
                        path: r.path,
                        body: String::from_utf8_lossy(&r.body).into_owned(),
                    });
                if echo {
                    respond(conn, 500, &[], "application/json", &echoed);
                } else {
                    respond(conn, 200, &[], "text/plain", "ok");
                }
            }
        });
        Ok(Recorder { base, got })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.got
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
