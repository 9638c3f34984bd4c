//! Secrets never leak into Debug/Display output, errors, the outbox or logs.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use rally_notify::*;
use rally_store::Store;

const DISCORD_TOKEN: &str = "MTIzNDU2Nzg5.discord-SECRET-d1";
const TELEGRAM_TOKEN: &str = "987654:telegram-SECRET-t2";
const SMTP_PASSWORD: &str = "smtp-SECRET-p3";
const WEBHOOK_KEY: &str = "webhook-SECRET-w4";

fn assert_clean(what: &str, text: &str) {
    for s in [
        DISCORD_TOKEN,
        TELEGRAM_TOKEN,
        SMTP_PASSWORD,
        WEBHOOK_KEY,
        "SECRET",
    ] {
        assert!(!text.contains(s), "{what} leaks {s}: {text}");
    }
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn secret_wrapper_redacts() {
    let s = Secret::new(DISCORD_TOKEN);
    assert_eq!(format!("{s}"), "[redacted]");
    assert_eq!(format!("{s:?}"), "Secret([redacted])");
    assert_eq!(s.expose(), DISCORD_TOKEN);
    assert_eq!(
        redact(&format!("token={DISCORD_TOKEN}!"), &[&s]),
        "token=[redacted]!"
    );
}

#[tokio::test]
async fn no_secret_in_debug_errors_outbox_or_logs() {
    let logs = Buf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // An API that echoes everything it got (path, headers, body) in a 401.
    let echo = HttpServer::start(|r| {
        Reply::Respond(
            401,
            vec![],
            format!("unauthorized {} {:?}", r.path, r.headers),
        )
    })
    .await;
    // A port with nothing listening (bound then dropped).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let settings = NotifySettings::from_lookup(env(&[
        ("DISCORD_BOT_TOKEN", DISCORD_TOKEN.into()),
        ("DISCORD_CHANNEL_ID", "1".into()),
        ("DISCORD_API_BASE", echo.base.clone()),
        ("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN.into()),
        ("TELEGRAM_CHAT_ID", "1".into()),
        ("TELEGRAM_API_URL", format!("http://127.0.0.1:{closed}")),
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", closed.to_string()),
        ("SMTP_TLS", "none".into()),
        ("SMTP_USER", "u@example.com".into()),
        ("SMTP_PASSWORD", SMTP_PASSWORD.into()),
        ("NOTIFY_EMAIL", "me@example.com".into()),
        (
            "WEBHOOK_URL",
            format!("http://127.0.0.1:{closed}/hooks/{WEBHOOK_KEY}"),
        ),
    ]))
    .unwrap();
    assert_clean("settings Debug", &format!("{settings:?}"));
    let notifiers = build_notifiers(&settings).unwrap();
    assert_eq!(notifiers.len(), 4);
    assert_clean("notifiers Debug", &format!("{notifiers:?}"));

    for (name, result) in send_test(&notifiers).await {
        let err = result.unwrap_err();
        assert_clean(&format!("{name} error Display"), &err.to_string());
        assert_clean(&format!("{name} error Debug"), &format!("{err:?}"));
    }
    // The echoing server really did get the token (and the error quotes the echo).
    assert!(
        echo.requests()[0]
            .header("authorization")
            .unwrap()
            .contains(DISCORD_TOKEN)
    );

    // Through the outbox: failures recorded in the store are clean too.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("r.db").to_str().unwrap())
        .await
        .unwrap();
    enqueue(&store, &Event::Test, "t", &notifiers)
        .await
        .unwrap();
    let policy = DeliveryPolicy {
        max_attempts: 1,
        retries_per_run: 1,
        backoff_base: std::time::Duration::from_millis(1),
        ..DeliveryPolicy::default()
    };
    let report = deliver_outbox(&store, &notifiers, &policy).await.unwrap();
    assert_eq!(report.dead, 4);
    assert_clean("report", &format!("{report:?}"));
    let dead = store.dead_events().await.unwrap();
    assert_eq!(dead.len(), 4);
    assert_clean("dead events", &format!("{dead:?}"));

    let captured = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        captured.contains("alert delivery dead"),
        "logs captured: {captured}"
    );
    assert_clean("logs", &captured);
}

const PATH_KEY: &str = "path-SECRET-k6";
const QUERY_KEY: &str = "query-SECRET-q7";
const URL_PASSWORD: &str = "userinfo-SECRET-u8";

/// Express/Spring-style error bodies quote the request path (with its query)
/// and sometimes the headers: every secret-bearing part of the configured
/// URL must be redacted wherever the error text goes.
#[tokio::test]
async fn url_parts_echoed_by_an_error_body_are_redacted_everywhere() {
    let logs = Buf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let echo = HttpServer::start(|r| {
        let echoed = format!(
            "{} {} authorization={:?}",
            r.method,
            r.path,
            r.header("authorization")
        );
        if r.path.starts_with("/bot") {
            // The Bot API's error shape, so that teloxide quotes the description.
            Reply::json(
                400,
                serde_json::json!({"ok": false, "error_code": 400,
                    "description": format!("Bad Request: {echoed}")}),
            )
        } else {
            Reply::json(
                500,
                serde_json::json!({
                    "status": 500,
                    "error": "Internal Server Error",
                    "path": r.path,
                    "message": echoed,
                }),
            )
        }
    })
    .await;
    let host = echo.base.trim_start_matches("http://");
    let settings = NotifySettings::from_lookup(env(&[
        ("DISCORD_BOT_TOKEN", DISCORD_TOKEN.into()),
        ("DISCORD_CHANNEL_ID", "1".into()),
        ("DISCORD_API_BASE", echo.base.clone()),
        ("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN.into()),
        ("TELEGRAM_CHAT_ID", "1".into()),
        ("TELEGRAM_API_URL", echo.base.clone()),
        (
            "WEBHOOK_URL",
            format!("http://hook-user:{URL_PASSWORD}@{host}/hook/{PATH_KEY}?token={QUERY_KEY}&v=1"),
        ),
    ]))
    .unwrap();
    let notifiers = build_notifiers(&settings).unwrap();
    // reqwest sends the URL's user-info as Basic auth, which the server echoes.
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("hook-user:{URL_PASSWORD}"))
    };
    let check = |what: &str, text: &str| {
        assert_clean(what, text);
        for s in [PATH_KEY, QUERY_KEY, URL_PASSWORD, basic.as_str()] {
            assert!(!text.contains(s), "{what} leaks {s}: {text}");
        }
    };

    for (name, result) in send_test(&notifiers).await {
        let err = result.unwrap_err();
        check(&format!("{name} error Display"), &err.to_string());
        check(&format!("{name} error Debug"), &format!("{err:?}"));
        assert!(err.to_string().contains("[redacted]"), "{err}");
    }
    // The server really did get (and echo) the secrets.
    let reqs = echo.requests();
    assert_eq!(reqs.len(), 3);
    let hook = reqs.iter().find(|r| r.path.starts_with("/hook/")).unwrap();
    assert!(hook.path.contains(PATH_KEY) && hook.path.contains(QUERY_KEY));
    assert_eq!(
        hook.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert!(reqs.iter().any(|r| r.path.contains(TELEGRAM_TOKEN)));

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("r.db").to_str().unwrap())
        .await
        .unwrap();
    enqueue(&store, &Event::Test, "t", &notifiers)
        .await
        .unwrap();
    let policy = DeliveryPolicy {
        max_attempts: 1,
        retries_per_run: 0,
        ..DeliveryPolicy::default()
    };
    let report = deliver_outbox(&store, &notifiers, &policy).await.unwrap();
    assert_eq!(report.dead, 3);
    check("report", &format!("{report:?}"));
    let dead = store.dead_events().await.unwrap();
    assert_eq!(dead.len(), 3);
    for d in &dead {
        let last_error = d.last_error.clone().unwrap();
        assert!(last_error.contains("[redacted]"), "{last_error}");
        check("stored last_error", &last_error);
    }

    let captured = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(captured.contains("alert delivery dead"), "{captured}");
    check("logs", &captured);
}
