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
