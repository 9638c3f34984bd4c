//! Telegram HTML messages (parse mode HTML), packed into as few messages of at
//! most 4,096 characters as possible. Splits happen only between lines, and
//! every line closes the tags it opens, so no split breaks the markup.

use super::escape_html;
use crate::embed::{Embed, truncate};

/// Telegram's limit per message. Counted here in UTF-16 units of the HTML
/// source, which over-estimates Telegram's count (after entity parsing).
pub const MAX_MESSAGE: usize = 4096;

fn len16(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Lines of one embed.
fn embed_lines(e: &Embed) -> Vec<String> {
    let mut lines = vec![format!("<b>{}</b>", escape_html(&e.title))];
    if let Some(d) = &e.description {
        lines.extend(d.lines().map(escape_html));
    }
    for f in &e.fields {
        lines.push(format!(
            "<b>{}:</b> {}",
            escape_html(&f.name),
            escape_html(&f.value)
        ));
    }
    if let Some(f) = &e.footer {
        lines.push(format!("<i>{}</i>", escape_html(f)));
    }
    lines
}

/// Keeps a single line under the limit (only reachable with extreme input):
/// falls back to escaped, truncated plain text without tags.
fn fit_line(line: String) -> String {
    if len16(&line) <= MAX_MESSAGE {
        return line;
    }
    let mut n = MAX_MESSAGE / 6;
    let plain: String = line
        .replace("<b>", "")
        .replace("</b>", "")
        .replace("<i>", "")
        .replace("</i>", "");
    loop {
        // `plain` is already escaped; cut at a character boundary that does
        // not split an entity by cutting the unescaped form instead.
        let raw = plain
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&");
        let cut = escape_html(&truncate(&raw, n));
        if len16(&cut) <= MAX_MESSAGE || n < 16 {
            return cut;
        }
        n /= 2;
    }
}

/// Messages for `embeds`: embeds separated by a blank line, packed greedily.
/// An embed is never split across messages unless it alone exceeds the
/// limit; then it is split between lines.
pub fn messages(embeds: &[Embed]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for e in embeds {
        let lines: Vec<String> = embed_lines(e).into_iter().map(fit_line).collect();
        let block = lines.join("\n");
        let sep = if cur.is_empty() { 0 } else { 2 };
        if len16(&cur) + sep + len16(&block) <= MAX_MESSAGE {
            if sep > 0 {
                cur.push_str("\n\n");
            }
            cur.push_str(&block);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if len16(&block) <= MAX_MESSAGE {
            cur = block;
            continue;
        }
        for line in lines {
            if !cur.is_empty() && len16(&cur) + 1 + len16(&line) > MAX_MESSAGE {
                out.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push('\n');
            }
            cur.push_str(&line);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::embed::{Embed, RED};

    #[test]
    fn escapes_and_formats() {
        let e = Embed::new("a<b>&c", RED)
            .description("x > y")
            .field("k&", "<v>", true)
            .footer("f");
        assert_eq!(
            messages(&[e]),
            ["<b>a&lt;b&gt;&amp;c</b>\nx &gt; y\n<b>k&amp;:</b> &lt;v&gt;\n<i>f</i>"]
        );
    }

    #[test]
    fn huge_embed_is_split_between_lines_within_the_limit() {
        let mut e = Embed::new("big", RED).description("&".repeat(4000));
        for i in 0..25 {
            e = e.field(format!("f{i}"), "<".repeat(1000), false);
        }
        let msgs = messages(&[e]);
        assert!(msgs.len() > 1);
        for m in &msgs {
            assert!(len16(m) <= MAX_MESSAGE);
            assert_eq!(
                m.matches("<b>").count(),
                m.matches("</b>").count(),
                "tags balanced"
            );
        }
    }
}
