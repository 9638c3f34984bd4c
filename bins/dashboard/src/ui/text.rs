//! A rendered buffer as text: plain lines, or lines with ANSI colours.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// The buffer as plain text lines, trailing spaces trimmed.
pub fn buffer_to_plain(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            let w = unicode_width::UnicodeWidthStr::width(sym);
            line.push_str(sym);
            skip = w.saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn sgr_color(c: Color, bg: bool) -> String {
    let base = if bg { 40 } else { 30 };
    let bright = if bg { 100 } else { 90 };
    match c {
        Color::Reset => format!("{}", base + 9),
        Color::Black => format!("{base}"),
        Color::Red => format!("{}", base + 1),
        Color::Green => format!("{}", base + 2),
        Color::Yellow => format!("{}", base + 3),
        Color::Blue => format!("{}", base + 4),
        Color::Magenta => format!("{}", base + 5),
        Color::Cyan => format!("{}", base + 6),
        Color::Gray => format!("{}", base + 7),
        Color::DarkGray => format!("{bright}"),
        Color::LightRed => format!("{}", bright + 1),
        Color::LightGreen => format!("{}", bright + 2),
        Color::LightYellow => format!("{}", bright + 3),
        Color::LightBlue => format!("{}", bright + 4),
        Color::LightMagenta => format!("{}", bright + 5),
        Color::LightCyan => format!("{}", bright + 6),
        Color::White => format!("{}", bright + 7),
        Color::Indexed(i) => format!("{};5;{i}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
    }
}

fn sgr(fg: Color, bg: Color, m: Modifier) -> String {
    let mut codes = vec!["0".to_owned()];
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
    ] {
        if m.contains(flag) {
            codes.push(code.to_owned());
        }
    }
    if fg != Color::Reset {
        codes.push(sgr_color(fg, false));
    }
    if bg != Color::Reset {
        codes.push(sgr_color(bg, true));
    }
    format!("\x1b[{}m", codes.join(";"))
}

/// The buffer as lines with ANSI colours (for `--once` on a terminal).
pub fn buffer_to_ansi(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        // Trailing cells that are plain spaces are dropped.
        let mut end = area.right();
        while end > area.left() {
            let c = &buf[(end - 1, y)];
            if c.symbol() == " " && c.bg == Color::Reset && !c.modifier.contains(Modifier::REVERSED)
            {
                end -= 1;
            } else {
                break;
            }
        }
        let mut cur: Option<(Color, Color, Modifier)> = None;
        let mut skip = 0usize;
        for x in area.left()..end {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let c = &buf[(x, y)];
            let st = (c.fg, c.bg, c.modifier);
            if cur != Some(st) {
                out.push_str(&sgr(st.0, st.1, st.2));
                cur = Some(st);
            }
            let sym = c.symbol();
            out.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push_str("\x1b[0m\n");
    }
    out
}
