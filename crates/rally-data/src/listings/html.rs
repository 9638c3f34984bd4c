//! Reading one `<table id="...">` out of an HTML page as rows of cell
//! texts: the only thing the universe refresh needs from HTML.
//!
//! Hand-written rather than a DOM crate: the pages are MediaWiki output and
//! a table is all we read, so a tag scanner that follows HTML's table rules
//! (a `<tr>`, `<td>` or `<th>` closes the open cell and row even when the
//! end tag was left out) is enough and costs no build time. Cell text has
//! its tags removed, entities decoded and white space collapsed; footnote
//! marks (`<sup>`), scripts, styles and comments are dropped.

/// One table: every row (header rows included) as its cells' texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
}

/// One tag as scanned: its lower-case name, whether it closes, its
/// attributes (names lower-case, values entity-decoded) and where the
/// text after it starts.
#[derive(Debug)]
struct Tag {
    name: String,
    closing: bool,
    attrs: Vec<(String, String)>,
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What starts at a `<`: a tag, or something skipped whole (comment,
/// doctype), ending at the given byte.
#[derive(Debug)]
enum Markup {
    Tag(Tag),
    Skip(usize),
}

/// The table whose `id` attribute is `id`, or `None` when the page has none.
pub fn table_by_id(html: &str, id: &str) -> Option<Table> {
    let mut pos = 0;
    while let Some((at, markup)) = next_markup(html, pos) {
        match markup {
            Markup::Tag(tag)
                if !tag.closing && tag.name == "table" && tag.attr("id") == Some(id) =>
            {
                return Some(read_table(html, tag.end));
            }
            Markup::Tag(tag) => pos = skip_raw_text(html, &tag),
            Markup::Skip(end) => pos = end.max(at + 1),
        }
    }
    None
}

/// Builds rows from the markup after a `<table>` start tag up to its end.
#[derive(Debug, Default)]
struct RowBuilder {
    rows: Vec<Vec<String>>,
    row: Option<Vec<String>>,
    cell: Option<(String, usize)>,
}

impl RowBuilder {
    fn close_cell(&mut self) {
        if let Some((text, span)) = self.cell.take() {
            let row = self.row.get_or_insert_with(Vec::new);
            row.push(collapse_spaces(&text));
            // A cell spanning columns keeps the following columns aligned.
            row.extend(std::iter::repeat_n(String::new(), span.saturating_sub(1)));
        }
    }

    fn close_row(&mut self) {
        self.close_cell();
        if let Some(row) = self.row.take()
            && !row.is_empty()
        {
            self.rows.push(row);
        }
    }

    fn text(&mut self, s: &str) {
        if let Some((text, _)) = &mut self.cell {
            text.push_str(&decode_entities(s));
        }
    }
}

fn read_table(html: &str, start: usize) -> Table {
    let mut b = RowBuilder::default();
    // Nested tables and footnote marks are not part of the cell's text.
    let (mut nested, mut hidden) = (0usize, 0usize);
    let mut pos = start;
    loop {
        let Some((at, markup)) = next_markup(html, pos) else {
            b.text(&html[pos..]);
            break;
        };
        if nested == 0 && hidden == 0 {
            b.text(&html[pos..at]);
        }
        let tag = match markup {
            Markup::Skip(end) => {
                pos = end.max(at + 1);
                continue;
            }
            Markup::Tag(tag) => tag,
        };
        pos = skip_raw_text(html, &tag);
        match (tag.name.as_str(), tag.closing) {
            ("table", false) => nested += 1,
            ("table", true) if nested > 0 => nested -= 1,
            ("table", true) => break,
            _ if nested > 0 => {}
            ("sup", false) => hidden += 1,
            ("sup", true) => hidden = hidden.saturating_sub(1),
            ("tr", false) => b.close_row(),
            ("tr", true) => b.close_row(),
            ("td" | "th", false) => {
                b.close_cell();
                let span = tag
                    .attr("colspan")
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .filter(|n| (1..=100).contains(n))
                    .unwrap_or(1);
                b.cell = Some((String::new(), span));
            }
            ("td" | "th", true) => b.close_cell(),
            ("br", _) if hidden == 0 => b.text(" "),
            ("thead" | "tbody" | "tfoot", _) => b.close_row(),
            _ => {}
        }
    }
    b.close_row();
    Table { rows: b.rows }
}

/// For `<script>` and `<style>` the text up to their end tag is not markup:
/// where scanning goes on after `tag`.
fn skip_raw_text(html: &str, tag: &Tag) -> usize {
    if tag.closing || !matches!(tag.name.as_str(), "script" | "style") {
        return tag.end;
    }
    let close = format!("</{}", tag.name);
    find_ci(html, tag.end, &close).unwrap_or(html.len())
}

/// Case-insensitive search for an ASCII needle from byte `from`.
fn find_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    (from..h.len().saturating_sub(n.len()) + 1).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// The next markup at or after `pos`: its start and what it is. A `<` that
/// starts no tag (`a < b`) is text and skipped over.
fn next_markup(html: &str, mut pos: usize) -> Option<(usize, Markup)> {
    let b = html.as_bytes();
    loop {
        let at = pos + html.get(pos..)?.find('<')?;
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").map_or(html.len(), |e| at + e + 3);
            return Some((at, Markup::Skip(end)));
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            let end = rest.find('>').map_or(html.len(), |e| at + e + 1);
            return Some((at, Markup::Skip(end)));
        }
        let closing = b.get(at + 1) == Some(&b'/');
        let name_start = at + 1 + usize::from(closing);
        if b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            return Some((at, Markup::Tag(parse_tag(html, name_start, closing))));
        }
        pos = at + 1;
    }
}

/// Parses a tag's name and attributes from the first byte of its name up to
/// its `>` (quoted values may hold `>`).
fn parse_tag(html: &str, name_start: usize, closing: bool) -> Tag {
    let b = html.as_bytes();
    let mut i = name_start;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
        i += 1;
    }
    let name = html[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            break;
        }
        let k0 = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let key = html[k0..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let (v0, v1, next) = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = html[i + 1..]
                        .find(char::from(q))
                        .map_or(b.len(), |e| i + 1 + e);
                    (i + 1, close, (close + 1).min(b.len()))
                }
                _ => {
                    let mut e = i;
                    while e < b.len() && !b[e].is_ascii_whitespace() && b[e] != b'>' {
                        e += 1;
                    }
                    (i, e, e)
                }
            };
            value = decode_entities(&html[v0..v1]);
            i = next;
        }
        if !key.is_empty() {
            attrs.push((key, value));
        }
    }
    Tag {
        name,
        closing,
        attrs,
        end: (i + 1).min(b.len()),
    }
}

/// Decodes the character references that occur in these pages: the five
/// XML ones, `&nbsp;` and numeric ones. Anything else stays as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|&e| e <= 10).and_then(|e| {
            let ch = match &rest[1..e] {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse::<u32>().ok().and_then(char::from_u32),
                _ => None,
            };
            ch.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Runs of white space (non-breaking included) become one space; ends trimmed.
fn collapse_spaces(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(html: &str, id: &str) -> Vec<Vec<String>> {
        table_by_id(html, id).map(|t| t.rows).unwrap_or_default()
    }

    #[test]
    fn reads_the_table_with_the_id_and_no_other() {
        let html = r#"<table id="other"><tr><td>NO</td></tr></table>
<table class="wikitable sortable" id="constituents">
<tbody><tr>
<th><a href="/wiki/Ticker_symbol" title="Ticker symbol">Symbol</a>
</th>
<th>Security</th></tr>
<tr>
<td><a rel="nofollow" class="external text" href="https://www.nyse.com/quote/XNYS:MMM">MMM</a>
</td>
<td><a href="/wiki/3M" title="3M">3M</a></td>
</tr>
</tbody></table><table id="after"><tr><td>NO</td></tr></table>"#;
        assert_eq!(
            rows(html, "constituents"),
            vec![vec!["Symbol", "Security"], vec!["MMM", "3M"]]
        );
        assert!(table_by_id(html, "missing").is_none());
    }

    #[test]
    fn end_tags_may_be_left_out_as_html_allows() {
        let html = "<TABLE ID=t><TR><TH>a<TH>b<TR><TD>1<TD>2<tr><td>3</table>";
        assert_eq!(
            rows(html, "t"),
            vec![vec!["a", "b"], vec!["1", "2"], vec!["3"]]
        );
    }

    #[test]
    fn footnotes_scripts_comments_and_nested_tables_are_not_text() {
        let html = "<table id='t'><tr><th>Symbol<sup class=\"reference\"><a href=\"#c\">[1]</a></sup></th>\
<td>A<!-- <td>X</td> -->B<script>var s='<td>Y</td>';</script><style>td{}</style></td>\
<td>C<table><tr><td>inner</td></tr></table>D</td></tr></table>";
        assert_eq!(rows(html, "t"), vec![vec!["Symbol", "AB", "CD"]]);
    }

    #[test]
    fn entities_spaces_and_spans() {
        let html = "<table id=\"t\"><tr><td colspan=\"2\">S&amp;P&nbsp;Global\n  Inc.</td><td>a<br>b</td>\
<td>&#39;x&#x27; &copy; 1 < 2 &</td></tr></table>";
        assert_eq!(
            rows(html, "t"),
            vec![vec!["S&P Global Inc.", "", "a b", "'x' &copy; 1 < 2 &"]]
        );
    }

    #[test]
    fn attribute_values_with_markup_characters() {
        let html =
            r#"<table data-x="a>b" id = "t" class='c'><tr><td title="1 > 0">v</td></tr></table>"#;
        assert_eq!(rows(html, "t"), vec![vec!["v"]]);
    }

    #[test]
    fn a_cut_off_page_gives_what_it_has() {
        assert_eq!(
            rows("<table id=t><tr><td>A</td><td>B", "t"),
            vec![vec!["A", "B"]]
        );
        assert!(table_by_id("<table id=", "t").is_none());
        assert!(table_by_id("", "t").is_none());
    }
}
