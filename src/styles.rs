//! A diagram's style chosen from the editor, as the Mermaid Live Editor's configuration
//! offers it: the theme and the look (mermaid 11's `classic` or `handDrawn`), written into
//! the text's front matter (`---\nconfig:\n  theme: forest\n  look: handDrawn\n---`), which
//! is where mermaid.js reads them, so the text stays the one source of truth and draws the
//! same anywhere.

use crate::diagrams::THEMES;

/// The looks mermaid.js draws.
pub const LOOKS: &[&str] = &["classic", "handDrawn"];

/// Why a style could not be applied: a sentence for the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StyleError(pub String);

/// `source` with `theme` (one of [`THEMES`]) and `look` (one of [`LOOKS`]) set in its front
/// matter's `config:`; `None` leaves that key as it is. Front matter and a `config:` block
/// are added when missing; other keys, comments and the diagram are kept byte for byte.
///
/// # Errors
/// [`StyleError`] for an unknown theme or look, and when the text chooses its theme in an
/// `%%{init: …}%%` directive (which wins over front matter in mermaid.js, so the change would
/// not show): the sentence says to change it there.
pub fn with_style(
    source: &str,
    theme: Option<&str>,
    look: Option<&str>,
) -> Result<String, StyleError> {
    if let Some(t) = theme.filter(|t| !THEMES.contains(t)) {
        return Err(StyleError(format!(
            "“{t}” is not one of mermaid's themes ({}).",
            THEMES.join(", ")
        )));
    }
    if let Some(l) = look.filter(|l| !LOOKS.contains(l)) {
        return Err(StyleError(format!(
            "“{l}” is not one of mermaid's looks ({}).",
            LOOKS.join(", ")
        )));
    }
    let directive_theme = source.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("%%{") && l.contains("theme")
    });
    if theme.is_some() && directive_theme {
        return Err(StyleError(
            "This diagram sets its theme in a %%{init: …}%% directive, which wins over the style chosen here: change the theme there, or remove the directive."
                .into(),
        ));
    }
    let wanted: Vec<(&str, &str)> = [("theme", theme), ("look", look)]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v)))
        .collect();
    if wanted.is_empty() {
        return Ok(source.to_owned());
    }
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let newline = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    // Front matter: a first line of `---` up to the next `---`.
    let front_end = (lines.first().map(|l| l.trim()) == Some("---"))
        .then(|| lines.iter().skip(1).position(|l| l.trim() == "---"))
        .flatten()
        .map(|end| end + 1);
    let Some(end) = front_end else {
        let mut text = format!("---{newline}config:{newline}");
        for (key, value) in &wanted {
            text.push_str(&format!("  {key}: {value}{newline}"));
        }
        text.push_str(&format!("---{newline}"));
        text.push_str(source);
        return Ok(text);
    };
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let top_level = |l: &str| !l.starts_with([' ', '\t']) && !l.trim().is_empty();
    let config = (1..end).find(|&i| {
        let l = lines[i];
        top_level(l)
            && l.trim_end()
                .strip_prefix("config:")
                .is_some_and(|rest| rest.trim().is_empty())
    });
    let Some(config) = config else {
        let mut block = format!("config:{newline}");
        for (key, value) in &wanted {
            block.push_str(&format!("  {key}: {value}{newline}"));
        }
        out.insert(end, block);
        return Ok(out.concat());
    };
    // The config block: the indented lines after `config:`, up to the next top-level key.
    let block_end = (config + 1..end)
        .find(|&i| top_level(lines[i]))
        .unwrap_or(end);
    let indent = (config + 1..block_end)
        .map(|i| lines[i])
        .find(|l| !l.trim().is_empty())
        .map_or("  ".to_owned(), |l| {
            l[..l.len() - l.trim_start().len()].to_owned()
        });
    let mut insert_at = config + 1;
    for (key, value) in wanted {
        let found = (config + 1..block_end).find(|&i| {
            let l = lines[i];
            l.starts_with(indent.as_str())
                && !l[indent.len()..].starts_with([' ', '\t'])
                && l[indent.len()..]
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
        });
        let line = format!("{indent}{key}: {value}{newline}");
        match found {
            Some(i) => out[i] = line,
            None => {
                out.insert(insert_at, line);
                insert_at += 1;
            }
        }
    }
    Ok(out.concat())
}

#[cfg(test)]
mod tests {
    use super::with_style;

    #[test]
    fn a_text_without_front_matter_gets_one() {
        let text = with_style(
            "flowchart LR\n  A --> B\n",
            Some("forest"),
            Some("handDrawn"),
        );
        assert_eq!(
            text.as_deref(),
            Ok("---\nconfig:\n  theme: forest\n  look: handDrawn\n---\nflowchart LR\n  A --> B\n")
        );
        assert_eq!(
            with_style("graph TD\n", None, None).as_deref(),
            Ok("graph TD\n")
        );
    }

    #[test]
    fn existing_front_matter_keeps_everything_else() {
        let source = "---\ntitle: Plan\nconfig:\n    layout: dagre\n    theme: dark # night\n    themeVariables:\n        theme: nested\n---\nflowchart LR\n  A --> B\n";
        let text = with_style(source, Some("neutral"), Some("classic"));
        assert_eq!(
            text.as_deref(),
            Ok(
                "---\ntitle: Plan\nconfig:\n    look: classic\n    layout: dagre\n    theme: neutral\n    themeVariables:\n        theme: nested\n---\nflowchart LR\n  A --> B\n"
            )
        );
        let no_config = with_style("---\ntitle: Plan\n---\ngraph TD\n", Some("base"), None);
        assert_eq!(
            no_config.as_deref(),
            Ok("---\ntitle: Plan\nconfig:\n  theme: base\n---\ngraph TD\n")
        );
        // Applying the same style again changes nothing.
        let once = with_style("graph TD\n", Some("dark"), Some("handDrawn")).unwrap_or_default();
        assert_eq!(
            with_style(&once, Some("dark"), Some("handDrawn")).as_deref(),
            Ok(once.as_str())
        );
    }

    #[test]
    fn unknown_values_and_a_theme_directive_are_refused() {
        assert!(with_style("graph TD\n", Some("neon"), None).is_err());
        assert!(with_style("graph TD\n", None, Some("sketchy")).is_err());
        let directive = "%%{init: {\"theme\": \"forest\"}}%%\ngraph TD\n";
        let refused = with_style(directive, Some("dark"), None);
        assert!(refused.is_err_and(|e| e.0.contains("directive")));
        // The look can still be chosen.
        assert!(with_style(directive, None, Some("handDrawn")).is_ok());
    }
}
