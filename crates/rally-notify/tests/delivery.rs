//! Outbox delivery against local servers and a real SQLite store.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use common::*;
use rally_notify::*;
use rally_store::Store;
use rand::{Rng, SeedableRng, rngs::StdRng};

fn signals(n: usize, tag: &str) -> Event {
    Event::Signals(
        (0..n)
            .map(|i| EntrySignal {
                ticker: format!("{tag}{i:02}"),
                p_rally: 0.6,
                compression: 0.04,
                price: 50.0 + i as f64,
                stop: 47.0,
                target: 58.0,
                size: 0.05,
                setup_top_pct: None,
            })
            .collect(),
    )
}

fn events() -> Vec<(String, Event)> {
    let mut v = Vec::new();
    for day in 1..=12 {
        let n = match day % 4 {
            0 => 23, // several Discord messages
            1 => 60, // several Telegram messages too
            2 => 0,
            _ => 3,
        };
        v.push((
            format!("signals:2024-05-{day:02}"),
            signals(n, &format!("D{day:02}X")),
        ));
        v.push((
            format!("exit:AAA{day}:2024-05-{day:02}"),
            Event::Exit {
                ticker: format!("AAA{day}"),
                reason: "stop".into(),
                pnl_pct: -3.0 + day as f64,
                bars_held: day,
                entry: 10.0,
                exit: 10.5,
            },
        ));
    }
    v.push((
        "retrain:2024-05-05".into(),
        Event::RetrainComplete {
            trained: 500,
            skipped_fresh: 10,
            failed: 1,
            fresh: 510,
            stale: 1,
            elapsed_secs: 321.0,
            walk_forward_auc: Some(0.58),
            walk_forward_brier_skill: Some(0.012),
            model_family: None,
        },
    ));
    v.push((
        "error:1".into(),
        Event::Error {
            context: "daily scan".into(),
            message: "boom <&>".into(),
        },
    ));
    v
}

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("models/rally.db").to_str().unwrap())
        .await
        .unwrap();
    (dir, s)
}

fn fast_policy() -> DeliveryPolicy {
    DeliveryPolicy {
        max_attempts: 1000,
        retries_per_run: 1,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(1),
        next_run_delay: Duration::ZERO,
        next_run_delay_max: Duration::ZERO,
        lease: Duration::from_secs(60),
        batch_limit: 1000,
        backend_budget: Duration::from_secs(30),
    }
}

/// What a server should have accepted: each rendered message, as the key the
/// server side extracts.
fn key_of(backend: &str, req: &Request) -> String {
    match backend {
        "telegram" => req.json()["text"].as_str().unwrap().to_string(),
        _ => req.json().to_string(),
    }
}

fn expected(n: &dyn Notifier, evs: &[(String, Event)]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for (_, e) in evs {
        for msg in n.render(e) {
            let k = match msg {
                rally_notify::render::Message::Json(v) => v.to_string(),
                rally_notify::render::Message::Html(t) => t,
                other => panic!("unexpected {other:?}"),
            };
            *m.entry(k).or_insert(0) += 1;
        }
    }
    m
}

fn counts(backend: &str, reqs: &[Request]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in reqs {
        *m.entry(key_of(backend, r)).or_insert(0) += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fault_injection_every_event_delivered_exactly_once_per_backend() {
    let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(0x5EED)));
    let flaky_http = {
        let rng = rng.clone();
        move |_: &Request| {
            let roll: u32 = rng.lock().unwrap().random_range(0..100);
            match roll {
                0..=14 => Reply::Respond(500, vec![], "internal".into()),
                15..=29 => Reply::Respond(503, vec![], String::new()),
                30..=39 => Reply::Respond(
                    429,
                    vec![("Retry-After".into(), "0.01".into())],
                    r#"{"retry_after":0.01}"#.into(),
                ),
                40..=49 => Reply::Drop,
                _ => Reply::json(200, serde_json::json!({"id": "1"})),
            }
        }
    };
    let flaky_tg = {
        let rng = rng.clone();
        move |_: &Request| {
            let roll: u32 = rng.lock().unwrap().random_range(0..100);
            match roll {
                0..=29 => Reply::Drop,
                30..=49 => Reply::json(
                    429,
                    serde_json::json!({"ok": false, "error_code": 429,
                        "description": "Too Many Requests: retry after 0", "parameters": {"retry_after": 0}}),
                ),
                _ => telegram_ok(),
            }
        }
    };
    let discord = HttpServer::start(flaky_http.clone()).await;
    let webhook = HttpServer::start(flaky_http).await;
    let telegram = HttpServer::start(flaky_tg).await;
    let mut settings = NotifySettings::from_lookup(env(&[
        ("DISCORD_BOT_TOKEN", "tok".into()),
        ("DISCORD_CHANNEL_ID", "42".into()),
        ("DISCORD_API_BASE", discord.base.clone()),
        ("TELEGRAM_BOT_TOKEN", "1:tg".into()),
        ("TELEGRAM_CHAT_ID", "7".into()),
        ("TELEGRAM_API_URL", telegram.base.clone()),
        ("WEBHOOK_URL", format!("{}/hook", webhook.base)),
    ]))
    .unwrap();
    settings.telegram.as_mut().unwrap().min_interval = Duration::from_millis(1);
    settings.request_timeout = Duration::from_secs(5);
    let notifiers = build_notifiers(&settings).unwrap();
    assert_eq!(
        backend_names(&notifiers),
        ["discord", "telegram", "webhook"]
    );

    let (_dir, store) = store().await;
    let evs = events();
    for (key, e) in &evs {
        assert!(enqueue(&store, e, key, &notifiers).await.unwrap().is_some());
        // Enqueueing again (a re-run scan) changes nothing.
        assert!(enqueue(&store, e, key, &notifiers).await.unwrap().is_none());
    }

    let policy = fast_policy();
    let mut runs = 0;
    loop {
        runs += 1;
        // Two delivery processes at once (scanner and bot scheduler): the
        // claims keep them from sending the same delivery twice.
        let (a, b) = tokio::join!(
            deliver_outbox(&store, &notifiers, &policy),
            deliver_outbox(&store, &notifiers, &policy)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.dead + b.dead, 0);
        let status = store.outbox_status().await.unwrap();
        if status.iter().all(|s| s.pending == 0) {
            break;
        }
        assert!(runs < 60, "not converging: {status:?}");
    }
    println!("converged after {runs} runs");
    assert!(runs > 1, "faults should have forced several runs");

    let status = store.outbox_status().await.unwrap();
    for s in &status {
        assert_eq!((s.delivered, s.dead), (evs.len() as i64, 0), "{s:?}");
    }
    for (name, server, n) in [
        ("discord", &discord, &notifiers[0]),
        ("telegram", &telegram, &notifiers[1]),
        ("webhook", &webhook, &notifiers[2]),
    ] {
        let got = counts(name, &server.accepted());
        let want = expected(n.as_ref(), &evs);
        let mut diff: Vec<String> = want
            .keys()
            .chain(got.keys())
            .filter(|k| got.get(*k) != want.get(*k))
            .map(|k| {
                format!(
                    "got {:?} want {:?}: {}",
                    got.get(k),
                    want.get(k),
                    k.chars().take(150).collect::<String>()
                )
            })
            .collect();
        diff.sort();
        diff.dedup();
        assert!(
            diff.is_empty(),
            "{name}: every message exactly once; differences:\n{}",
            diff.join("\n")
        );
        assert!(
            server.requests().len() > server.accepted().len(),
            "{name}: faults happened"
        );
    }
    assert!(
        expected(notifiers[0].as_ref(), &evs).len() > evs.len(),
        "multi-part events exercised"
    );

    // Delivered is terminal: another run sends nothing.
    let before: usize = [&discord, &telegram, &webhook]
        .iter()
        .map(|s| s.requests().len())
        .sum();
    let r = deliver_outbox(&store, &notifiers, &policy).await.unwrap();
    assert_eq!(r, DeliveryReport::default());
    let after: usize = [&discord, &telegram, &webhook]
        .iter()
        .map(|s| s.requests().len())
        .sum();
    assert_eq!(before, after);
}

#[tokio::test]
async fn retry_after_is_honoured_within_a_run() {
    let first = Arc::new(Mutex::new(true));
    let server = HttpServer::start(move |_| {
        let mut f = first.lock().unwrap();
        if std::mem::replace(&mut *f, false) {
            Reply::Respond(429, vec![("Retry-After".into(), "0.3".into())], "{}".into())
        } else {
            Reply::json(200, serde_json::json!({}))
        }
    })
    .await;
    let s =
        NotifySettings::from_lookup(env(&[("WEBHOOK_URL", format!("{}/h", server.base))])).unwrap();
    let notifiers = build_notifiers(&s).unwrap();
    let (_dir, store) = store().await;
    enqueue(&store, &Event::Test, "test:1", &notifiers)
        .await
        .unwrap();
    let r = deliver_outbox(
        &store,
        &notifiers,
        &DeliveryPolicy {
            backoff_base: Duration::from_millis(1),
            ..DeliveryPolicy::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(r.delivered, 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].at.duration_since(reqs[0].at) >= Duration::from_millis(290));
}

/// A webhook notifier for `server` and a fresh store holding `n` test events.
async fn webhook_with_events(
    server: &HttpServer,
    n: usize,
) -> (Vec<Box<dyn Notifier>>, tempfile::TempDir, Store) {
    let s =
        NotifySettings::from_lookup(env(&[("WEBHOOK_URL", format!("{}/h", server.base))])).unwrap();
    let notifiers = build_notifiers(&s).unwrap();
    let (dir, store) = store().await;
    for i in 0..n {
        enqueue(&store, &Event::Test, &format!("t{i}"), &notifiers)
            .await
            .unwrap();
    }
    (notifiers, dir, store)
}

/// How many pending deliveries are due at `now + secs`.
async fn due_in(store: &Store, secs: i64) -> usize {
    store
        .pending_deliveries(Utc::now() + chrono::Duration::seconds(secs), 100)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn long_retry_after_defers_the_backend_to_a_later_run() {
    let server = HttpServer::start(|_| {
        Reply::Respond(429, vec![("Retry-After".into(), "120".into())], "{}".into())
    })
    .await;
    let (notifiers, _dir, store) = webhook_with_events(&server, 3).await;
    let r = deliver_outbox(&store, &notifiers, &fast_policy())
        .await
        .unwrap();
    assert_eq!((r.delivered, r.retry_later, r.deferred), (0, 1, 2));
    assert_eq!(
        server.requests().len(),
        1,
        "no hammering after a long Retry-After"
    );
    assert!(r.failures[0].error.contains("429"));
    // The whole backend waits for the server's 120 s, not just the event
    // that got the 429; only the one that was sent counts an attempt.
    assert_eq!(due_in(&store, 0).await, 0);
    assert_eq!(due_in(&store, 118).await, 0);
    let later = store
        .pending_deliveries(Utc::now() + chrono::Duration::seconds(121), 10)
        .await
        .unwrap();
    let attempts: Vec<i64> = later.iter().map(|d| d.attempts).collect();
    assert_eq!(attempts, [1, 0, 0]);
    // A second run right away sends nothing.
    let r = deliver_outbox(&store, &notifiers, &fast_policy())
        .await
        .unwrap();
    assert_eq!(r, DeliveryReport::default());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn retry_after_as_http_date_pauses_the_backend() {
    let server = HttpServer::start(|_| {
        let at = Utc::now() + chrono::Duration::seconds(120);
        Reply::Respond(
            429,
            vec![(
                "Retry-After".into(),
                at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            )],
            String::new(),
        )
    })
    .await;
    let (notifiers, _dir, store) = webhook_with_events(&server, 4).await;
    let r = deliver_outbox(&store, &notifiers, &fast_policy())
        .await
        .unwrap();
    assert_eq!((r.delivered, r.retry_later, r.deferred), (0, 1, 3));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(due_in(&store, 115).await, 0);
    assert_eq!(due_in(&store, 122).await, 4);
}

#[tokio::test]
async fn rate_limit_without_retry_after_pauses_the_backend_by_the_default_backoff() {
    let server = HttpServer::start(|_| Reply::Respond(429, vec![], String::new())).await;
    let (notifiers, _dir, store) = webhook_with_events(&server, 3).await;
    let policy = DeliveryPolicy {
        next_run_delay: Duration::from_secs(60),
        next_run_delay_max: Duration::from_secs(60),
        ..fast_policy()
    };
    let r = deliver_outbox(&store, &notifiers, &policy).await.unwrap();
    assert_eq!((r.delivered, r.retry_later, r.deferred), (0, 1, 2));
    assert_eq!(server.requests().len(), 2, "one try and its in-run retry");
    assert_eq!(due_in(&store, 58).await, 0);
    assert_eq!(due_in(&store, 61).await, 3);
}

#[tokio::test]
async fn a_short_retry_after_also_holds_back_the_next_event() {
    let server = HttpServer::start(|_| {
        Reply::Respond(429, vec![("Retry-After".into(), "0.3".into())], "{}".into())
    })
    .await;
    let (notifiers, _dir, store) = webhook_with_events(&server, 2).await;
    let policy = DeliveryPolicy {
        retries_per_run: 0,
        ..fast_policy()
    };
    let r = deliver_outbox(&store, &notifiers, &policy).await.unwrap();
    assert_eq!(r.retry_later, 2);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[1].at.duration_since(reqs[0].at) >= Duration::from_millis(290),
        "the second event waited for the first one's Retry-After"
    );
}

#[tokio::test]
async fn a_hanging_backend_stops_at_its_budget_and_the_rest_stay_pending() {
    let server = HttpServer::start(|_| Reply::Hang).await;
    let mut s =
        NotifySettings::from_lookup(env(&[("WEBHOOK_URL", format!("{}/h", server.base))])).unwrap();
    // Only the budget can end this run.
    s.request_timeout = Duration::from_secs(600);
    s.connect_timeout = Duration::from_secs(600);
    let notifiers = build_notifiers(&s).unwrap();
    let (_dir, store) = store().await;
    for i in 0..3 {
        enqueue(&store, &Event::Test, &format!("t{i}"), &notifiers)
            .await
            .unwrap();
    }
    let policy = DeliveryPolicy {
        backend_budget: Duration::from_millis(300),
        ..fast_policy()
    };
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        deliver_outbox(&store, &notifiers, &policy),
    )
    .await
    .expect("the run ends with the backend's budget")
    .unwrap();
    assert_eq!(
        (r.delivered, r.retry_later, r.dead, r.deferred),
        (0, 1, 0, 2)
    );
    assert_eq!(server.requests().len(), 1, "no request after the budget");
    assert!(r.failures[0].error.contains("budget"), "{:?}", r.failures);
    // The one in flight counts a failed attempt; the two never tried stay
    // due without one.
    let due = store.pending_deliveries(Utc::now(), 10).await.unwrap();
    let attempts: Vec<i64> = due.iter().map(|d| d.attempts).collect();
    assert_eq!(attempts, [1, 0, 0]);
}

#[tokio::test]
async fn persistent_failures_end_dead_and_are_reported() {
    let server = HttpServer::start(|_| Reply::Respond(500, vec![], "down".into())).await;
    let s =
        NotifySettings::from_lookup(env(&[("WEBHOOK_URL", format!("{}/h", server.base))])).unwrap();
    let notifiers = build_notifiers(&s).unwrap();
    let (_dir, store) = store().await;
    enqueue(&store, &Event::Test, "t", &notifiers)
        .await
        .unwrap();
    let policy = DeliveryPolicy {
        max_attempts: 3,
        retries_per_run: 2,
        ..fast_policy()
    };
    for run in 1..=3 {
        let r = deliver_outbox(&store, &notifiers, &policy).await.unwrap();
        assert_eq!(r.dead, usize::from(run == 3), "run {run}");
    }
    assert_eq!(server.requests().len(), 9, "3 runs x (1 + 2 retries)");
    let r = deliver_outbox(&store, &notifiers, &policy).await.unwrap();
    assert_eq!(r, DeliveryReport::default());
    let dead = store.dead_events().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert!(dead[0].last_error.as_deref().unwrap().contains("HTTP 500"));
}

#[tokio::test]
async fn multi_part_delivery_resumes_after_the_last_delivered_part() {
    let n = Arc::new(Mutex::new(0));
    let server = HttpServer::start(move |_| {
        let mut n = n.lock().unwrap();
        *n += 1;
        // The second message fails once, permanently (no in-run retry).
        if *n == 2 {
            Reply::Respond(400, vec![], "bad".into())
        } else {
            Reply::json(200, serde_json::json!({}))
        }
    })
    .await;
    let s = NotifySettings::from_lookup(env(&[
        ("DISCORD_BOT_TOKEN", "tok".into()),
        ("DISCORD_CHANNEL_ID", "42".into()),
        ("DISCORD_API_BASE", server.base.clone()),
    ]))
    .unwrap();
    let notifiers = build_notifiers(&s).unwrap();
    let (_dir, store) = store().await;
    let ev = signals(23, "Z");
    enqueue(&store, &ev, "signals:z", &notifiers).await.unwrap();
    let r1 = deliver_outbox(&store, &notifiers, &fast_policy())
        .await
        .unwrap();
    assert_eq!((r1.delivered, r1.retry_later), (0, 1));
    let r2 = deliver_outbox(&store, &notifiers, &fast_policy())
        .await
        .unwrap();
    assert_eq!(r2.delivered, 1);
    let sizes: Vec<usize> = server
        .accepted()
        .iter()
        .map(|r| r.json()["embeds"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [10, 10, 3], "each part accepted once, in order");
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn email_through_the_outbox_and_unconfigured_backends_wait() {
    let smtp = SmtpServer::start().await;
    let s = NotifySettings::from_lookup(env(&[
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", smtp.port.to_string()),
        ("SMTP_TLS", "none".into()),
        ("SMTP_FROM", "Rally <rally@example.com>".into()),
        ("NOTIFY_EMAIL", "me@example.com".into()),
    ]))
    .unwrap();
    let notifiers = build_notifiers(&s).unwrap();
    let (_dir, store) = store().await;
    let ev = Event::Exit {
        ticker: "TSLA".into(),
        reason: "stop".into(),
        pnl_pct: -4.2,
        bars_held: 3,
        entry: 200.0,
        exit: 191.6,
    };
    let row = ev.to_outbox("exit:TSLA").unwrap();
    // Recorded for email and for a backend this process does not have.
    store
        .enqueue_event(&row, &["email".into(), "discord".into()], Utc::now())
        .await
        .unwrap();
    let r = deliver_outbox(&store, &notifiers, &fast_policy())
        .await
        .unwrap();
    assert_eq!((r.delivered, r.skipped), (1, 1));
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .data
            .contains("Subject: Rally detector: exit TSLA (stop) -4.20%")
    );
    assert!(mails[0].data.contains("#E74C3C"), "losing exit is red");
    let status = store.outbox_status().await.unwrap();
    assert_eq!(
        status
            .iter()
            .find(|s| s.backend == "discord")
            .unwrap()
            .pending,
        1
    );
}
