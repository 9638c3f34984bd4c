//! Generic webhook body: Slack-compatible `text`, plus the structured event,
//! its kind and the embeds' fields for receivers that want data.

use serde_json::{Value, json};

use crate::embed::{Embed, summary};
use crate::event::Event;
use crate::render::email::plain_text;

/// The JSON body posted for an event.
pub fn body(event: &Event, embeds: &[Embed]) -> Value {
    let text = format!("{}\n{}", summary(event), plain_text(embeds));
    json!({
        "text": text.trim_end(),
        "kind": event.kind(),
        "event": event,
        "fields": embeds.iter().flat_map(|e| e.fields.iter())
            .map(|f| json!({ "name": f.name, "value": f.value }))
            .collect::<Vec<_>>(),
        "embeds": embeds.iter().map(|e| json!({
            "title": e.title,
            "description": e.description,
            "colour": format!("#{:06X}", e.colour & 0xFF_FF_FF),
            "fields": e.fields.iter().map(|f| json!({ "name": f.name, "value": f.value })).collect::<Vec<_>>(),
            "footer": e.footer,
        })).collect::<Vec<_>>(),
    })
}
