//! The source editor (CodeMirror, from `static/editor.js`): line numbers, Mermaid
//! highlighting, the rendering error's line marked, Tab indenting, `%%` comment toggling, all
//! under the pages' strict Content-Security-Policy. Without JavaScript the plain textarea
//! stays (`no_script.rs`).

use fantoccini::key::Key;

use crate::flows;
use crate::harness::{E2e, Js};

const SOURCE: &str = "flowchart LR\n    a[Start] -->|go| b{Choice}\n    b --> c((End))\n";

#[tokio::test]
async fn the_source_editor_highlights_numbers_lines_and_marks_the_error_line() {
    let t = E2e::start(
        "the_source_editor_highlights_numbers_lines_and_marks_the_error_line",
        &[],
    )
    .await;
    let b = t.browser("", Js::On).await;
    flows::new_diagram(&b).await;
    let hidden = b
        .js(
            "return getComputedStyle(document.getElementById('source')).display === 'none';",
            vec![],
        )
        .await;
    b.check(hidden == true, "the textarea gives way to the editor")
        .await;
    flows::type_source(&b, SOURCE).await;
    flows::wait_for_live_preview(&b, None, "Choice").await;

    let numbers = b.text(".cm-gutters").await;
    b.check(
        numbers.contains('1') && numbers.contains('3'),
        &format!("line numbers are shown: {numbers:?}"),
    )
    .await;
    // Keywords, labels and links are drawn in different colours from plain text.
    let colours = b
        .js(
            "var line = document.querySelectorAll('.cm-line')[1];
             var seen = {};
             line.querySelectorAll('span').forEach(function (s) { seen[getComputedStyle(s).color] = 1; });
             seen[getComputedStyle(line).color] = 1;
             return Object.keys(seen).length;",
            vec![],
        )
        .await;
    b.check(
        colours.as_u64().unwrap_or(0) >= 3,
        &format!("line 2 is highlighted in at least 3 colours, found {colours}"),
    )
    .await;
    b.shot("highlighted").await;

    // A mistake on line 3: the error says so and the editor marks that line.
    flows::set_caret(&b, SOURCE.len()).await;
    flows::send_to_source(&b, "c --> ((").await;
    b.wait_for(
        "the rendering error",
        "return !document.getElementById('render-error').classList.contains('hidden');",
    )
    .await;
    let marked = b
        .js(
            "var lines = Array.prototype.slice.call(document.querySelectorAll('.cm-line'));
             return lines.map(function (l, i) { return l.classList.contains('cm-reef-error-line') ? i + 1 : 0; })
                         .filter(function (n) { return n > 0; });",
            vec![],
        )
        .await;
    let said = b.text("#render-error").await;
    b.check(
        marked == serde_json::json!([4]) && said.contains("line 4"),
        &format!("line 4 is marked ({marked}) and named ({said:?})"),
    )
    .await;
    b.shot("error-line-marked").await;
    // Fixing it clears the mark.
    let backspaces: String = std::iter::repeat_n(char::from(Key::Backspace), 8).collect();
    flows::send_to_source(&b, &backspaces).await;
    b.wait_for(
        "the error mark to go",
        "return document.querySelectorAll('.cm-reef-error-line').length === 0
             && document.getElementById('render-error').classList.contains('hidden');",
    )
    .await;

    // Tab indents the line; Ctrl+/ comments it out with %% and back.
    flows::set_caret(&b, 0).await;
    flows::send_to_source(&b, &(Key::Control + "/")).await;
    let commented = flows::source_text(&b).await;
    b.check(
        commented.starts_with("%% flowchart LR"),
        &format!("Ctrl+/ comments the line out: {commented:?}"),
    )
    .await;
    flows::send_to_source(&b, &(Key::Control + "/")).await;
    flows::set_caret(&b, "flowchart LR\n".len()).await;
    flows::send_to_source(&b, &Key::Tab.to_string()).await;
    let indented = flows::source_text(&b).await;
    b.check(
        indented.starts_with("flowchart LR\n        a[Start]"),
        &format!("Tab indents the line by four spaces: {indented:?}"),
    )
    .await;
    let focus = flows::caret(&b).await;
    b.check(
        focus["focused"] == true,
        "Tab keeps the focus in the editor",
    )
    .await;

    // Nothing was blocked by the Content-Security-Policy, nothing failed.
    let problems: Vec<String> = b
        .console()
        .await
        .into_iter()
        .filter(|e| e.level == "SEVERE")
        .map(|e| e.message)
        .filter(|m| !m.contains("/preview"))
        .collect();
    b.check(
        problems.is_empty(),
        &format!("no console errors (CSP included): {problems:?}"),
    )
    .await;
}
