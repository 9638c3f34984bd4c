//! Discord create-message bodies: `{"embeds": [...]}`, batched by Discord's
//! limits (10 embeds, 6,000 characters per message).

use serde_json::{Value, json};

use crate::embed::{Embed, batch_discord};

/// The JSON of one embed in Discord's schema.
pub fn embed_json(e: &Embed) -> Value {
    let mut v = json!({ "title": e.title, "color": e.colour });
    if let Some(d) = &e.description {
        v["description"] = json!(d);
    }
    if !e.fields.is_empty() {
        v["fields"] = Value::Array(
            e.fields
                .iter()
                .map(|f| json!({ "name": f.name, "value": f.value, "inline": f.inline }))
                .collect(),
        );
    }
    if let Some(f) = &e.footer {
        v["footer"] = json!({ "text": f });
    }
    if let Some(t) = &e.timestamp {
        v["timestamp"] = json!(t.to_rfc3339());
    }
    v
}

/// Message bodies for `embeds`, as few as the limits allow.
pub fn messages(embeds: &[Embed]) -> Vec<Value> {
    batch_discord(embeds)
        .iter()
        .map(|batch| json!({ "embeds": batch.iter().map(embed_json).collect::<Vec<_>>() }))
        .collect()
}
