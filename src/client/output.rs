//! What the client prints: lines and tables for people, the API's JSON for scripts. Text that
//! came from the server (titles) is stripped of control characters first, so a title cannot
//! move the cursor or recolour the terminal. A closed pipe (`reef ls | head`) ends the command
//! quietly instead of panicking the way `println!` would.

use std::io::Write;

use super::error::Failure;

fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
            _ => Failure::Other(format!("cannot write to standard output: {e}")),
        })
}

/// One line (or several) of text on standard output; a newline is added.
///
/// # Errors
/// [`Failure::BrokenPipe`] if standard output is closed; [`Failure::Other`] for any other
/// write failure.
pub fn line(text: &str) -> Result<(), Failure> {
    write_stdout(format!("{text}\n").as_bytes())
}

/// Bytes exactly as they are (a diagram's source, an SVG).
///
/// # Errors
/// As [`line()`].
pub fn raw(bytes: &[u8]) -> Result<(), Failure> {
    write_stdout(bytes)
}

/// Pretty JSON for `--json`, then a newline.
///
/// # Errors
/// As [`line()`].
pub fn json(value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Other(format!("cannot encode JSON: {e}")))?;
    line(&text)
}

/// Server text made safe for a terminal (each control character becomes a space), cut to
/// `max` characters including the `…` that marks a cut.
pub fn clean(text: &str, max: usize) -> String {
    let safe: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if safe.chars().count() > max {
        let cut: String = safe.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        safe
    }
}

/// `2027-05-23T07:38:45Z` as `2027-05-23 07:38` (UTC, to the minute); anything shorter is
/// returned as it is.
pub fn minute(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time}"),
        _ => rfc3339.to_owned(),
    }
}

/// `2027-05-23T07:38:45Z` as `2027-05-23`; anything shorter is returned as it is.
pub fn day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// Left-aligned columns separated by two spaces, one line per row after the `headers` line,
/// with no trailing newline. Widths count characters.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let render = |cells: Vec<&str>| {
        let mut line = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                line.push_str(cell);
            } else {
                let pad = width.saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        line
    };
    let mut out = vec![render(headers.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| render(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_cannot_carry_terminal_escapes() {
        assert_eq!(clean("a\u{1b}[31mred\n", 80), "a [31mred ");
        assert_eq!(clean("abcdef", 4), "abc…");
    }

    #[test]
    fn columns_line_up() {
        let t = table(
            &["ID", "TITLE"],
            &[
                vec!["a".into(), "x".into()],
                vec!["abcd".into(), "y".into()],
            ],
        );
        assert_eq!(t, "ID    TITLE\na     x\nabcd  y");
    }

    #[test]
    fn times_are_shortened() {
        assert_eq!(minute("2027-05-23T07:38:45Z"), "2027-05-23 07:38");
        assert_eq!(day("2027-05-23T07:38:45Z"), "2027-05-23");
        assert_eq!(minute("soon"), "soon");
    }
}
