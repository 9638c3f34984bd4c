//! Print what the alert messages look like (the README's examples come from
//! here): `cargo run -p rally-notify --example render_alerts`.
#![allow(clippy::print_stdout)]

use rally_notify::embed::embeds_for;
use rally_notify::render::email::plain_text;
use rally_notify::{EntrySignal, Event};

fn main() {
    let signals = Event::Signals(vec![EntrySignal {
        ticker: "AMZN".into(),
        p_rally: 0.833,
        compression: 0.647,
        price: 139.94,
        stop: 138.81,
        target: 142.19,
        size: 0.25,
        setup_top_pct: None,
    }]);
    let exit = Event::Exit {
        ticker: "AMD".into(),
        reason: "stop".into(),
        pnl_pct: -2.92,
        bars_held: 1,
        entry: 5232.43,
        exit: 5082.11,
    };
    for ev in [signals, exit] {
        let embeds = embeds_for(&ev);
        for e in &embeds {
            println!("colour #{:06X}", e.colour);
        }
        println!("{}", plain_text(&embeds));
    }
}
