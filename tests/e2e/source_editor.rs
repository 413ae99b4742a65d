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

/// Waits until the page shows the forest theme's green fill (#cde498): a screenshot of the
/// window, its green pixels counted (mermaid's default theme has none; the page's own
/// colours are grey and teal). The picture cannot be read from a script: an SVG with HTML
/// labels taints a canvas.
async fn wait_for_forest(b: &crate::harness::Browser, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let shot = b.client.screenshot().await.unwrap_or_default();
        let green = resvg::tiny_skia::Pixmap::decode_png(&shot).map_or(0, |p| {
            p.pixels()
                .iter()
                .filter(|c| {
                    let (r, g, bl) = (
                        i32::from(c.red()),
                        i32::from(c.green()),
                        i32::from(c.blue()),
                    );
                    g > r + 10 && g > bl + 40
                })
                .count()
        });
        if green > 500 {
            return;
        }
        if std::time::Instant::now() > deadline {
            b.fail(&format!(
                "{what}: no forest green on the page ({green} pixels)"
            ))
            .await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// "Apply style" writes the chosen theme and look into the text's front matter, and the
/// preview draws them; without JavaScript the page comes back with the text restyled.
#[tokio::test]
async fn a_theme_and_a_hand_drawn_look_can_be_picked() {
    let t = E2e::start("a_theme_and_a_hand_drawn_look_can_be_picked", &[]).await;
    for js in [Js::On, Js::Off] {
        let label = if matches!(js, Js::On) { "js" } else { "no-js" };
        let b = t.browser(label, js).await;
        flows::new_diagram(&b).await;
        flows::type_source(&b, SOURCE).await;
        flows::save_with_button(&b).await;
        b.click(
            "the forest theme",
            &b.find("select[name=theme] option[value=forest]").await,
        )
        .await;
        b.click(
            "the hand-drawn look",
            &b.find("select[name=look] option[value=handDrawn]").await,
        )
        .await;
        b.click_button("Apply style").await;
        if matches!(js, Js::Off) {
            b.wait_for_path("the restyled editor", |p| p.ends_with("/style"))
                .await;
        }
        b.wait_for(
            "the text to carry the style",
            "var t = document.getElementById('source').value;
             return t.indexOf('theme: forest') >= 0 && t.indexOf('look: handDrawn') >= 0;",
        )
        .await;
        let text = flows::source_text(&b).await;
        b.check(
            text.starts_with("---\nconfig:\n") && text.ends_with(SOURCE),
            &format!("front matter before the diagram: {text:?}"),
        )
        .await;
        wait_for_forest(&b, "the preview to draw the forest theme").await;
        if matches!(js, Js::On) {
            b.check(
                b.text("#save-state").await == "Unsaved changes",
                "a style is an edit to save",
            )
            .await;
        } else {
            b.check(
                b.text("#save-state").await.contains("not saved yet"),
                "the page says nothing was saved",
            )
            .await;
        }
        b.shot("styled").await;
        flows::save_with_button(&b).await;
        b.wait_for_image("the saved, styled diagram", "#preview")
            .await;
        wait_for_forest(&b, "the saved picture in the forest theme").await;
        b.shot("styled-saved").await;
    }
}
