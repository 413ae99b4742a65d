//! The editor with JavaScript on: the live preview, Ctrl+S, parse errors that keep the last
//! good picture, and the confirm step before moving a diagram to the trash.

use fantoccini::key::Key;
use serde_json::Value as Json;

use crate::flows;
use crate::harness::{Browser, E2e, Js, VIEWPORT};

#[tokio::test]
async fn typing_updates_the_live_preview_and_ctrl_s_saves() {
    let t = E2e::start("typing_updates_the_live_preview_and_ctrl_s_saves", &[]).await;
    let b = t.browser("", Js::On).await;

    let id = flows::new_diagram(&b).await;
    b.wait_for_image("the server-rendered preview of the example", "#preview")
        .await;
    let server_src = b.attr("#preview", "src").await.unwrap_or_default();
    b.check(
        server_src.starts_with(&format!("/d/{id}/image.svg")),
        &format!("a fresh editor shows the server-rendered image, src is {server_src:?}"),
    )
    .await;
    b.shot("new-diagram").await;

    let source = "flowchart TD\n    start([Start]) --> typed[Typed live]\n    typed --> kept{Kept after reload?}\n";
    b.type_into("#title", "Typed in the browser").await;
    flows::type_source(&b, source).await;
    let live = flows::wait_for_live_preview(&b, None, "reload?").await;
    let state = b.text("#save-state").await;
    b.check(
        state == "Unsaved changes",
        &format!("typing should mark the diagram unsaved, it says {state:?}"),
    )
    .await;
    b.shot("live-preview").await;

    // The key chord goes to the focused textarea, as a person's would.
    flows::send_to_source(&b, &(Key::Control + "s")).await;
    flows::wait_until_saved(&b).await;
    b.shot("saved-with-ctrl-s").await;

    b.refresh().await;
    b.find(".cm-content").await;
    let (title, kept) = (b.value("#title").await, flows::source_text(&b).await);
    b.check(
        title == "Typed in the browser" && kept.trim_end() == source.trim_end(),
        &format!("after a reload the typed text should be kept, found title {title:?} and source {kept:?} (live preview was {live})"),
    )
    .await;
    b.wait_for_image("the saved diagram's server-rendered preview", "#preview")
        .await;
    let src = b.attr("#preview", "src").await.unwrap_or_default();
    b.check(
        src == format!("/d/{id}/image.svg?v=2"),
        &format!("the reloaded editor shows version 2, src is {src:?}"),
    )
    .await;
    b.shot("reloaded").await;
}

#[tokio::test]
async fn syntax_error_shows_line_and_column_and_keeps_last_good_preview() {
    let t = E2e::start(
        "syntax_error_shows_line_and_column_and_keeps_last_good_preview",
        &[],
    )
    .await;
    let b = t.browser("", Js::On).await;

    flows::new_diagram(&b).await;
    b.wait_for_image("the server-rendered preview", "#preview")
        .await;
    flows::type_source(&b, "flowchart LR\n    good[Good] --> still[Still good]\n").await;
    let good = flows::wait_for_live_preview(&b, None, "Still").await;
    b.shot("good-preview").await;

    // Line 3 starts with an arrow: a parse error on line 3. It starts with `<` so that every
    // prefix typed on the way is already an error and no new preview can appear.
    flows::send_to_source(&b, "<-- oops").await;
    b.wait_for(
        "the render error to show",
        "return !document.getElementById('render-error').classList.contains('hidden');",
    )
    .await;
    let problem = b.text("#render-error").await;
    // The position is named once, before the sentence, with its column.
    b.check(
        problem.starts_with("line 3, column ") && problem.matches("line").count() == 1,
        &format!("the error should name line 3 and a column once, it says {problem:?}"),
    )
    .await;
    let kept = b
        .js(
            "var i = document.getElementById('preview');
             return {src: i.src, loaded: i.complete && i.naturalWidth > 0,
                     stale: i.parentElement.classList.contains('stale')};",
            vec![],
        )
        .await;
    b.check(
        kept["src"] == good.as_str() && kept["loaded"] == true,
        &format!("the last good preview ({good}) should stay, loaded; found {kept}"),
    )
    .await;
    b.check(kept["stale"] == true, "the kept preview is marked stale")
        .await;
    b.shot("syntax-error").await;

    // Fixing the text brings a fresh preview and hides the error.
    let backspaces: String =
        std::iter::repeat_n(char::from(Key::Backspace), "<-- oops".len()).collect();
    flows::send_to_source(&b, &backspaces).await;
    flows::wait_for_live_preview(&b, Some(&good), "Still").await;
    b.shot("fixed").await;
}

#[tokio::test]
async fn delete_asks_first_and_dismissing_keeps_the_diagram() {
    let t = E2e::start("delete_asks_first_and_dismissing_keeps_the_diagram", &[]).await;
    let b = t.browser("", Js::On).await;

    let id = flows::new_diagram(&b).await;
    b.type_into("#title", "Keep me, maybe").await;
    flows::save_with_button(&b).await;

    let question = ask_to_delete(&b).await;
    b.check(
        question.contains("Move “Keep me, maybe” to the trash?"),
        &format!("the confirm should name the diagram, it says {question:?}"),
    )
    .await;
    b.dismiss_dialog().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let path = b.path().await;
    b.check(
        path.starts_with(&format!("/d/{id}")),
        &format!("dismissing must stay in the editor, the browser is at {path}"),
    )
    .await;
    b.shot("dismissed").await;
    let titles = flows::list_titles(&b).await;
    b.check(
        titles == ["Keep me, maybe"],
        &format!("after dismissing, the list still shows the diagram; it shows {titles:?}"),
    )
    .await;
    b.goto("/trash").await;
    b.check(
        b.body_text().await.contains("The trash is empty"),
        "after dismissing, the trash is empty",
    )
    .await;

    b.goto(&format!("/d/{id}")).await;
    ask_to_delete(&b).await;
    b.accept_dialog().await;
    b.wait_for_path("the list after deleting", |p| p == "/?deleted=1")
        .await;
    b.shot("accepted").await;
    let titles = flows::list_titles(&b).await;
    b.check(
        titles.is_empty(),
        &format!("after accepting, the list must not show the diagram; it shows {titles:?}"),
    )
    .await;
    b.goto("/trash").await;
    b.find("button[aria-label='Restore Keep me, maybe']").await;
    b.shot("in-the-trash").await;
}

/// Presses "Move to trash" and returns the confirm dialog's question.
async fn ask_to_delete(b: &Browser) -> String {
    b.click_button("Move to trash").await;
    let deadline = std::time::Instant::now() + crate::harness::WAIT;
    loop {
        if let Some(text) = b.dialog().await {
            return text;
        }
        if std::time::Instant::now() > deadline {
            b.fail("pressing Move to trash should ask for confirmation")
                .await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A diagram worth showing in the README: eight nodes, a subgraph, labels on edges.
const SHOWCASE: &str = "flowchart LR
    person([Person in a browser]) --> editor[Editor]
    script([Script or agent]) -->|Bearer token| api[JSON API]
    subgraph reef [Reef server]
        editor --> preview[Live preview]
        api --> store[(SQLite)]
        editor --> store
        preview --> workers[Render workers]
    end
    store --> share[Read-only share link]
";

#[tokio::test]
async fn editor_shows_a_real_diagram_for_the_readme() {
    let t = E2e::start("editor_shows_a_real_diagram_for_the_readme", &[]).await;
    let b = t.browser("", Js::On).await;
    flows::sign_up(&b, flows::EMAIL, flows::PASSWORD).await;

    let id = flows::new_diagram(&b).await;
    b.type_into("#title", "How Reef fits together").await;
    flows::type_source(&b, SHOWCASE).await;
    flows::wait_for_live_preview(&b, None, "Read-only").await;
    flows::save_with_button(&b).await;
    b.refresh().await;
    b.wait_for_image("the showcase diagram", "#preview").await;
    b.js(
        "window.scrollTo(0, 0); document.activeElement.blur();",
        vec![],
    )
    .await;
    let shot = b.shot("editor").await;
    let png = std::fs::read(&shot).unwrap();
    // The PNG header holds the width and height at bytes 16..24.
    let size = (
        u32::from_be_bytes([png[16], png[17], png[18], png[19]]),
        u32::from_be_bytes([png[20], png[21], png[22], png[23]]),
    );
    b.check(
        size == VIEWPORT,
        &format!("the screenshot should be {VIEWPORT:?}, it is {size:?}"),
    )
    .await;

    // The same diagram on a phone, on the Preview tab.
    let phone = t.phone("phone", Js::On).await;
    flows::sign_in(&phone, flows::EMAIL, flows::PASSWORD).await;
    phone.goto(&format!("/d/{id}")).await;
    phone.click_button("Preview").await;
    phone
        .wait_for_image("the showcase diagram on the phone", "#preview")
        .await;
    phone
        .js(
            "window.getSelection().removeAllRanges(); document.activeElement.blur();
             document.querySelector('.preview').scrollIntoView({block: 'end'});",
            vec![],
        )
        .await;
    let phone_shot = phone.shot("editor").await;
    if std::env::var_os("REEF_E2E_DOCS").is_some() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("editor.png"), &png).unwrap();
        std::fs::copy(&phone_shot, docs.join("editor-phone.png")).unwrap();
    }
}

/// The live preview of a 40-node flowchart follows typing. Besides checking that each
/// keystroke's picture arrives, this prints how long it took, from the page's own clock: from
/// the `/preview` request (sent 300 ms after the last keystroke) to the new image being
/// loaded (the figure bench/README.md reports; timing is not asserted here).
#[tokio::test]
async fn the_preview_of_a_40_node_flowchart_follows_typing() {
    let t = E2e::start("the_preview_of_a_40_node_flowchart_follows_typing", &[]).await;
    let b = t.browser("", Js::On).await;
    flows::new_diagram(&b).await;
    b.js(
        "var img = document.getElementById('preview');
         window.__loads = [];
         img.addEventListener('load', function () { window.__loads.push(performance.now()); });
         var source = document.getElementById('source');
         source.value = arguments[0];
         source.dispatchEvent(new Event('input'));",
        vec![Json::from(include_str!(
            "../../bench/corpus/flowchart-service-map.mmd"
        ))],
    )
    .await;
    let mut shown = flows::wait_for_live_preview(&b, None, "MCP gateway").await;
    let mut server = Vec::new();
    let mut visible = Vec::new();
    for i in 0..7 {
        flows::send_to_source(&b, &format!("\n  n39 --> added{i}")).await;
        shown = flows::wait_for_live_preview(&b, Some(&shown), &format!("added{i}")).await;
        let timing = b
            .js(
                "var requests = performance.getEntriesByType('resource')
                   .filter(function (e) { return e.name.endsWith('/preview'); });
                 var last = requests[requests.length - 1];
                 var loaded = window.__loads[window.__loads.length - 1];
                 return [last.responseEnd - last.requestStart, loaded - last.startTime];",
                vec![],
            )
            .await;
        server.push(timing[0].as_f64().unwrap_or(f64::NAN));
        visible.push(timing[1].as_f64().unwrap_or(f64::NAN));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    eprintln!(
        "40-node flowchart, live preview after the 300 ms debounce: request {:.0} ms, visible {:.0} ms (medians of {})",
        median(&mut server),
        median(&mut visible),
        server.len()
    );
    b.shot("typed").await;
}
