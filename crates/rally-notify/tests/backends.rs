//! Each backend against a local stand-in server: exact paths, headers, bodies.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::time::Duration;

use common::*;
use rally_notify::*;

const DISCORD_TOKEN: &str = "discord-secret-token-AAA111";
const TELEGRAM_TOKEN: &str = "123456:telegram-secret-BBB222";

fn signals(n: usize) -> Event {
    Event::Signals(
        (0..n)
            .map(|i| EntrySignal {
                ticker: format!("T{i:03}"),
                p_rally: 0.6 + (i % 10) as f64 * 0.01,
                compression: 0.05,
                price: 100.0 + i as f64,
                stop: 95.0 + i as f64,
                target: 110.0 + i as f64,
                size: 0.08,
                setup_top_pct: None,
            })
            .collect(),
    )
}

fn settings(pairs: &[(&str, String)]) -> NotifySettings {
    NotifySettings::from_lookup(env(pairs)).unwrap()
}

#[tokio::test]
async fn discord_posts_embeds_with_bot_auth() {
    let server = HttpServer::start(|_| Reply::json(200, serde_json::json!({"id": "1"}))).await;
    let s = settings(&[
        ("DISCORD_BOT_TOKEN", DISCORD_TOKEN.into()),
        ("DISCORD_CHANNEL_ID", "998877".into()),
        ("DISCORD_API_BASE", format!("{}/api/v10", server.base)),
    ]);
    assert_eq!(s.enabled(), ["discord"]);
    let notifiers = build_notifiers(&s).unwrap();
    assert_eq!(backend_names(&notifiers), ["discord"]);
    let exit = Event::Exit {
        ticker: "AAPL".into(),
        reason: "target".into(),
        pnl_pct: 7.5,
        bars_held: 6,
        entry: 180.0,
        exit: 193.5,
    };
    notifiers[0].send(&exit).await.unwrap();
    notifiers[0].send(&signals(2)).await.unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/api/v10/channels/998877/messages");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bot {DISCORD_TOKEN}").as_str())
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert!(r.header("user-agent").unwrap().starts_with("DiscordBot ("));
    }
    let body = reqs[0].json();
    let embed = &body["embeds"][0];
    assert_eq!(body["embeds"].as_array().unwrap().len(), 1);
    assert_eq!(embed["title"], "✅ Exit: AAPL");
    assert_eq!(embed["color"], 0x2ECC71);
    assert_eq!(
        embed["fields"],
        serde_json::json!([
            {"name": "Reason", "value": "target", "inline": true},
            {"name": "P&L", "value": "+7.50%", "inline": true},
            {"name": "Bars held", "value": "6", "inline": true},
            {"name": "Entry", "value": "$180.00", "inline": true},
            {"name": "Exit", "value": "$193.50", "inline": true},
        ])
    );
    let body = reqs[1].json();
    let embeds = body["embeds"].as_array().unwrap();
    assert_eq!(embeds.len(), 2);
    assert_eq!(embeds[0]["title"], "📈 New rally signal: T000");
    assert_eq!(embeds[0]["color"], 0x2ECC71);
    assert_eq!(
        embeds[0]["fields"][0],
        serde_json::json!({"name": "P(rally)", "value": "60.0%", "inline": true})
    );
    assert_eq!(embeds[0]["fields"][2]["value"], "$100.00");
    assert_eq!(embeds[1]["footer"]["text"], "Signal 2 of 2");

    // Many signals: batched by 10 embeds per message.
    let before = server.requests().len();
    notifiers[0].send(&signals(23)).await.unwrap();
    let batches: Vec<usize> = server.requests()[before..]
        .iter()
        .map(|r| r.json()["embeds"].as_array().unwrap().len())
        .collect();
    assert_eq!(batches, [10, 10, 3]);
}

#[tokio::test]
async fn discord_error_classes() {
    let server = HttpServer::start(|r| match r.path.as_str() {
        p if p.contains("/channels/1/") => Reply::json(
            403,
            serde_json::json!({"message": "Missing Access", "code": 50001}),
        ),
        p if p.contains("/channels/2/") => Reply::Respond(
            429,
            vec![("Retry-After".into(), "2.5".into())],
            r#"{"message":"You are being rate limited.","retry_after":2.5,"global":false}"#.into(),
        ),
        p if p.contains("/channels/3/") => Reply::Respond(503, vec![], "upstream down".into()),
        _ => Reply::Drop,
    })
    .await;
    let notifier = |channel: &str| {
        let s = settings(&[
            ("DISCORD_BOT_TOKEN", DISCORD_TOKEN.into()),
            ("DISCORD_CHANNEL_ID", channel.into()),
            ("DISCORD_API_BASE", server.base.clone()),
        ]);
        build_notifiers(&s).unwrap().remove(0)
    };
    let e = notifier("1").send(&Event::Test).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Permanent);
    assert!(
        e.message.contains("403") && e.message.contains("Missing Access"),
        "{e}"
    );
    let e = notifier("2").send(&Event::Test).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Retryable);
    assert_eq!(e.retry_after, Some(Duration::from_millis(2500)));
    let e = notifier("3").send(&Event::Test).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Retryable);
    assert!(e.message.contains("503"));
    let e = notifier("4").send(&Event::Test).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Retryable, "{e}");
}

#[tokio::test]
async fn telegram_sends_html_via_bot_api_with_pacing() {
    let server = HttpServer::start(|_| telegram_ok()).await;
    let mut s = settings(&[
        ("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN.into()),
        ("TELEGRAM_CHAT_ID", "-100123".into()),
        ("TELEGRAM_API_URL", server.base.clone()),
    ]);
    s.telegram.as_mut().unwrap().min_interval = Duration::from_millis(150);
    let notifiers = build_notifiers(&s).unwrap();
    assert_eq!(backend_names(&notifiers), ["telegram"]);
    let err = Event::Error {
        context: "daily scan".into(),
        message: "x < y & z > w".into(),
    };
    notifiers[0].send(&err).await.unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, format!("/bot{TELEGRAM_TOKEN}/SendMessage"));
    let body = reqs[0].json();
    assert_eq!(body["chat_id"], -100123);
    assert_eq!(body["parse_mode"], "HTML");
    assert_eq!(
        body["text"],
        "<b>⚠️ Error: daily scan</b>\nx &lt; y &amp; z &gt; w"
    );

    // 60 signals exceed 4,096 characters: several messages, each within the
    // limit, paced by the minimum interval.
    notifiers[0].send(&signals(60)).await.unwrap();
    let reqs = server.requests();
    let parts = &reqs[1..];
    assert!(parts.len() >= 2, "{} parts", parts.len());
    let mut all = String::new();
    for p in parts {
        let text = p.json()["text"].as_str().unwrap().to_string();
        assert!(text.encode_utf16().count() <= 4096);
        assert!(
            text.starts_with("<b>📈 New rally signal"),
            "split only between embeds here: {}",
            &text[..40]
        );
        all.push_str(&text);
    }
    for i in 0..60 {
        assert_eq!(all.matches(&format!("signal: T{i:03}</b>")).count(), 1);
    }
    for w in parts.windows(2) {
        assert!(
            w[1].at.duration_since(w[0].at) >= Duration::from_millis(140),
            "paced"
        );
    }
}

#[tokio::test]
async fn telegram_error_classes() {
    let server = HttpServer::start(|r| {
        if r.json()["text"].as_str().unwrap().contains("test alert") {
            Reply::json(
                429,
                serde_json::json!({"ok": false, "error_code": 429,
                    "description": "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}}),
            )
        } else {
            Reply::json(400, serde_json::json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}))
        }
    })
    .await;
    let s = settings(&[
        ("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN.into()),
        ("TELEGRAM_CHAT_ID", "@alerts".into()),
        ("TELEGRAM_API_URL", server.base.clone()),
    ]);
    let n = build_notifiers(&s).unwrap().remove(0);
    let e = n.send(&Event::Test).await.unwrap_err();
    assert_eq!(
        (e.class, e.retry_after),
        (ErrorClass::Retryable, Some(Duration::from_secs(3)))
    );
    let e = n
        .send(&Event::Error {
            context: "c".into(),
            message: "m".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Permanent);
    assert!(e.message.contains("chat not found"), "{e}");
    assert_eq!(server.requests()[0].json()["chat_id"], "@alerts");
}

#[tokio::test]
async fn webhook_posts_slack_compatible_json() {
    let server = HttpServer::start(|_| Reply::Respond(200, vec![], "ok".into())).await;
    let url = format!("{}/hooks/T000/B000/secretkey123", server.base);
    let s = settings(&[("WEBHOOK_URL", url)]);
    let n = build_notifiers(&s).unwrap().remove(0);
    let ev = Event::RetrainComplete {
        trained: 510,
        skipped_fresh: 3,
        failed: 2,
        fresh: 513,
        stale: 7,
        elapsed_secs: 754.2,
        walk_forward_auc: None,
        walk_forward_brier_skill: None,
        model_family: None,
    };
    n.send(&ev).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/hooks/T000/B000/secretkey123");
    assert_eq!(reqs[0].header("content-type"), Some("application/json"));
    let body = reqs[0].json();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("Rally detector: retrain complete (510 trained, 2 failed, 12m 34s)"),
        "{text}"
    );
    assert!(text.contains("Fresh models: 513"));
    assert_eq!(body["kind"], "retrain");
    assert_eq!(body["event"]["type"], "retrain_complete");
    assert_eq!(body["event"]["data"]["stale"], 7);
    assert_eq!(body["embeds"][0]["colour"], "#3498DB");
    assert_eq!(
        body["fields"][4],
        serde_json::json!({"name": "Stale models", "value": "7"})
    );
}

#[tokio::test]
async fn email_real_smtp_conversation() {
    let smtp = SmtpServer::start().await;
    let s = settings(&[
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", smtp.port.to_string()),
        ("SMTP_TLS", "none".into()),
        ("SMTP_USER", "alerts@example.com".into()),
        ("SMTP_PASSWORD", "smtp-pass-CCC333".into()),
        (
            "NOTIFY_EMAIL",
            "trader@example.com, desk@example.com".into(),
        ),
    ]);
    let email = s.email.as_ref().unwrap();
    assert_eq!(
        (email.tls, email.from.as_str()),
        (SmtpTls::None, "alerts@example.com")
    );
    let n = build_notifiers(&s).unwrap().remove(0);
    assert_eq!(n.name(), "email");
    n.send(&signals(2)).await.unwrap();

    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.from, "<alerts@example.com>");
    assert_eq!(m.to, ["<trader@example.com>", "<desk@example.com>"]);
    assert!(m.auth.as_deref().unwrap().starts_with("AUTH PLAIN"));
    let data = &m.data;
    assert!(
        data.contains("Subject: Rally detector: 2 new signals: T000, T001"),
        "{data}"
    );
    assert!(data.contains("multipart/alternative"));
    assert!(data.contains("text/plain"));
    assert!(data.contains("text/html"));
    assert!(data.contains("Price: $100.00"), "{data}");
    assert!(data.contains("border-left:4px solid #2ECC71"));
}

#[test]
fn settings_defaults_and_validation() {
    let s = settings(&[]);
    assert!(s.enabled().is_empty(), "everything off without settings");
    // Half-configured backends are off, not errors.
    let s = settings(&[
        ("DISCORD_BOT_TOKEN", "x".into()),
        ("TELEGRAM_CHAT_ID", "1".into()),
        ("SMTP_HOST", "h".into()),
    ]);
    assert!(s.enabled().is_empty());
    let s = settings(&[
        ("DISCORD_BOT_TOKEN", "t".into()),
        ("DISCORD_CHANNEL_ID", "1".into()),
        ("TELEGRAM_BOT_TOKEN", "t".into()),
        ("TELEGRAM_CHAT_ID", "1".into()),
        ("SMTP_HOST", "smtp.example.com".into()),
        ("SMTP_PORT", "465".into()),
        ("NOTIFY_EMAIL", "a@example.com".into()),
        ("WEBHOOK_URL", "https://hooks.example.com/x".into()),
    ]);
    assert_eq!(s.enabled(), ["discord", "telegram", "email", "webhook"]);
    assert_eq!(
        s.discord.as_ref().unwrap().api_base,
        DEFAULT_DISCORD_API_BASE
    );
    assert_eq!(
        s.telegram.as_ref().unwrap().api_url,
        DEFAULT_TELEGRAM_API_URL
    );
    let e = s.email.as_ref().unwrap();
    assert_eq!(
        (e.tls, e.port, e.from.as_str()),
        (SmtpTls::Tls, 465, "a@example.com")
    );
    let e = settings(&[("SMTP_HOST", "h".into()), ("NOTIFY_EMAIL", "a@b.c".into())])
        .email
        .unwrap();
    assert_eq!((e.tls, e.port), (SmtpTls::StartTls, 587));
    for bad in [
        vec![
            ("SMTP_HOST", "h".to_string()),
            ("NOTIFY_EMAIL", "a@b.c".into()),
            ("SMTP_TLS", "maybe".into()),
        ],
        vec![
            ("SMTP_HOST", "h".to_string()),
            ("NOTIFY_EMAIL", "a@b.c".into()),
            ("SMTP_PORT", "99999".into()),
        ],
        vec![
            ("DISCORD_BOT_TOKEN", "t".to_string()),
            ("DISCORD_CHANNEL_ID", "abc".into()),
        ],
        vec![("WEBHOOK_URL", "not a url".to_string())],
    ] {
        assert!(
            matches!(
                NotifySettings::from_lookup(env(&bad)),
                Err(NotifyError::Config(_))
            ),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn send_test_reports_per_backend() {
    let ok = HttpServer::start(|_| Reply::Respond(204, vec![], String::new())).await;
    let bad = HttpServer::start(|_| {
        Reply::Respond(401, vec![], r#"{"message": "401: Unauthorized"}"#.into())
    })
    .await;
    let s = settings(&[
        ("DISCORD_BOT_TOKEN", DISCORD_TOKEN.into()),
        ("DISCORD_CHANNEL_ID", "5".into()),
        ("DISCORD_API_BASE", bad.base.clone()),
        ("WEBHOOK_URL", format!("{}/hook", ok.base)),
    ]);
    let results = send_test(&build_notifiers(&s).unwrap()).await;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].0, "discord");
    let err = results[0].1.as_ref().unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    assert_eq!(results[1].0, "webhook");
    assert!(results[1].1.is_ok());
    assert_eq!(ok.requests()[0].json()["kind"], "test");
}
