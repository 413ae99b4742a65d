//! Line diffs between two versions of a diagram's Mermaid text: the editor's conflict view
//! (the other tab's save against the typed text) and the revisions page (a revision against
//! its predecessor or the current version). Computed with `similar` (Myers' algorithm).

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// Unchanged lines kept around each change; longer unchanged runs are folded into one
/// [`DiffLine::Skipped`] line (as `diff -U3` does).
pub const CONTEXT_LINES: usize = 3;

/// One line of a diff, in the order a reader reads it. Serialised as
/// `{"kind": "same" | "removed" | "added", "text": "…"}` or `{"kind": "skipped", "lines": n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DiffLine {
    /// In both texts.
    Same { text: String },
    /// Only in the first (older, or the other side's) text.
    Removed { text: String },
    /// Only in the second (newer, or one's own) text.
    Added { text: String },
    /// `lines` unchanged lines left out.
    Skipped { lines: usize },
}

impl DiffLine {
    /// `"same"`, `"removed"`, `"added"` or `"skipped"`: the CSS class of the line.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Same { .. } => "same",
            Self::Removed { .. } => "removed",
            Self::Added { .. } => "added",
            Self::Skipped { .. } => "skipped",
        }
    }

    /// The line's text without its line ending ("" for a skipped run).
    pub fn text(&self) -> &str {
        match self {
            Self::Same { text } | Self::Removed { text } | Self::Added { text } => text,
            Self::Skipped { .. } => "",
        }
    }

    /// The sign a unified diff puts before the line: `' '`, `'-'`, `'+'`, or `'…'`.
    pub fn sign(&self) -> char {
        match self {
            Self::Same { .. } => ' ',
            Self::Removed { .. } => '-',
            Self::Added { .. } => '+',
            Self::Skipped { .. } => '…',
        }
    }

    /// How many lines a skipped run hides (0 for any other line).
    pub fn skipped(&self) -> usize {
        match self {
            Self::Skipped { lines } => *lines,
            _ => 0,
        }
    }
}

/// A line diff from `before` to `after`, with [`CONTEXT_LINES`] of context around each change
/// and the unchanged runs between changes folded. Empty when the texts are equal line for
/// line. A missing final newline does not count as a change.
pub fn lines(before: &str, after: &str) -> Vec<DiffLine> {
    // A last line without its line break is the same line once one is added after it.
    let ended = |text: &str| {
        if text.is_empty() || text.ends_with('\n') {
            text.to_owned()
        } else {
            format!("{text}\n")
        }
    };
    let (before, after) = (ended(before), ended(after));
    let (before, after) = (before.as_str(), after.as_str());
    let diff = TextDiff::from_lines(before, after);
    let groups = diff.grouped_ops(CONTEXT_LINES);
    let total_old = before.lines().count();
    let mut out = Vec::new();
    let mut next_old = 0;
    for group in &groups {
        let Some(first) = group.first() else { continue };
        let start = first.old_range().start;
        if start > next_old {
            out.push(DiffLine::Skipped {
                lines: start - next_old,
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let text = change.value().trim_end_matches(['\n', '\r']).to_owned();
                out.push(match change.tag() {
                    ChangeTag::Equal => DiffLine::Same { text },
                    ChangeTag::Delete => DiffLine::Removed { text },
                    ChangeTag::Insert => DiffLine::Added { text },
                });
            }
            next_old = op.old_range().end;
        }
    }
    if !out.is_empty() && next_old < total_old {
        out.push(DiffLine::Skipped {
            lines: total_old - next_old,
        });
    }
    // "a\nb" and "a\nb\n" differ only in the last line ending, which Reef does not keep apart.
    if out
        .iter()
        .all(|l| matches!(l, DiffLine::Same { .. } | DiffLine::Skipped { .. }))
        || only_line_endings(&out)
    {
        return Vec::new();
    }
    out
}

/// True when every removed line comes back unchanged as the next added line (a change only in
/// the final newline).
fn only_line_endings(out: &[DiffLine]) -> bool {
    let changed: Vec<&DiffLine> = out
        .iter()
        .filter(|l| matches!(l, DiffLine::Removed { .. } | DiffLine::Added { .. }))
        .collect();
    changed.len().is_multiple_of(2)
        && changed.chunks(2).all(|pair| match pair {
            [DiffLine::Removed { text: a }, DiffLine::Added { text: b }] => a == b,
            _ => false,
        })
}

/// How many lines were removed and added: `(removed, added)`.
pub fn counts(diff: &[DiffLine]) -> (usize, usize) {
    diff.iter().fold((0, 0), |(r, a), l| match l {
        DiffLine::Removed { .. } => (r + 1, a),
        DiffLine::Added { .. } => (r, a + 1),
        _ => (r, a),
    })
}

#[cfg(test)]
mod tests {
    use super::{DiffLine, counts, lines};

    fn same(t: &str) -> DiffLine {
        DiffLine::Same { text: t.into() }
    }

    #[test]
    fn a_changed_line_shows_as_removed_then_added_with_context() {
        let before = "flowchart TD\n  A --> B\n  B --> C\n";
        let after = "flowchart TD\n  A --> B\n  B --> D\n";
        assert_eq!(
            lines(before, after),
            vec![
                same("flowchart TD"),
                same("  A --> B"),
                DiffLine::Removed {
                    text: "  B --> C".into()
                },
                DiffLine::Added {
                    text: "  B --> D".into()
                },
            ]
        );
    }

    #[test]
    fn a_line_added_after_a_last_line_without_a_line_break_is_the_only_change() {
        let diff = lines("graph TD\n  X --> Y", "graph TD\n  X --> Y\n  Y --> Z\n");
        assert_eq!(counts(&diff), (0, 1), "{diff:?}");
        assert!(lines("a\nb", "a\nb\n").is_empty());
    }

    #[test]
    fn long_unchanged_runs_are_folded_and_counted() {
        let before: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let after = before.replace("line 10\n", "line ten\n");
        let diff = lines(&before, &after);
        assert_eq!(diff.first(), Some(&DiffLine::Skipped { lines: 6 }));
        assert_eq!(diff.last(), Some(&DiffLine::Skipped { lines: 7 }));
        assert_eq!(counts(&diff), (1, 1));
        let shown: usize = diff
            .iter()
            .map(|l| if l.skipped() > 0 { l.skipped() } else { 1 })
            .sum();
        assert_eq!(shown, 21, "20 lines, one of them shown twice (old and new)");
    }

    #[test]
    fn equal_texts_and_a_final_newline_give_no_diff() {
        assert!(lines("a\nb\n", "a\nb\n").is_empty());
        assert!(lines("a\nb", "a\nb\n").is_empty());
        assert!(!lines("a\nb", "a\nc").is_empty());
        assert_eq!(lines("", "x\n"), vec![DiffLine::Added { text: "x".into() }]);
    }
}
