//! Email bodies: a plain-text part and an HTML part of the same content.

use super::escape_html;
use crate::embed::Embed;

/// Subject and the two alternative bodies of one email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailBody {
    /// Subject line.
    pub subject: String,
    /// text/plain part.
    pub text: String,
    /// text/html part.
    pub html: String,
}

/// Plain-text rendering of embeds.
pub fn plain_text(embeds: &[Embed]) -> String {
    let mut out = String::new();
    for e in embeds {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&e.title);
        out.push('\n');
        out.push_str(&"=".repeat(e.title.chars().count().min(60)));
        out.push('\n');
        if let Some(d) = &e.description {
            out.push_str(d);
            out.push('\n');
        }
        for f in &e.fields {
            out.push_str(&format!("{}: {}\n", f.name, f.value));
        }
        if let Some(f) = &e.footer {
            out.push_str(f);
            out.push('\n');
        }
    }
    out
}

/// HTML rendering of embeds: one bordered block per embed in its colour.
pub fn html(embeds: &[Embed]) -> String {
    let mut out = String::from("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\n");
    for e in embeds {
        out.push_str(&format!(
            "<div style=\"border-left:4px solid #{:06X};padding:4px 12px;margin:12px 0\">\n<h3>{}</h3>\n",
            e.colour & 0xFF_FF_FF,
            escape_html(&e.title)
        ));
        if let Some(d) = &e.description {
            out.push_str(&format!(
                "<p>{}</p>\n",
                escape_html(d).replace('\n', "<br>")
            ));
        }
        if !e.fields.is_empty() {
            out.push_str("<table>\n");
            for f in &e.fields {
                out.push_str(&format!(
                    "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
                    escape_html(&f.name),
                    escape_html(&f.value)
                ));
            }
            out.push_str("</table>\n");
        }
        if let Some(f) = &e.footer {
            out.push_str(&format!("<p><small>{}</small></p>\n", escape_html(f)));
        }
        out.push_str("</div>\n");
    }
    out.push_str("</body></html>\n");
    out
}

/// The email of an event: subject from the summary, both bodies.
pub fn message(subject: &str, embeds: &[Embed]) -> EmailBody {
    EmailBody {
        subject: subject.to_string(),
        text: plain_text(embeds),
        html: html(embeds),
    }
}
