//! A preview you can work with: tall diagrams fit a fixed box instead of stretching the page;
//! zoom, fit, actual size, pan and full screen; Source / Preview tabs on a phone; mermaid's
//! dark theme on a dark page.

use crate::flows;
use crate::harness::{E2e, Js};

/// A 60-node top-down chain: far taller than any screen.
fn tall() -> String {
    let mut text = String::from("flowchart TD\n");
    for i in 0..59 {
        text.push_str(&format!(
            "    n{i}[Step {i}] --> n{}[Step {}]\n",
            i + 1,
            i + 1
        ));
    }
    text
}

#[tokio::test]
async fn a_tall_diagram_fits_the_box_and_can_be_zoomed_panned_and_shown_full_screen() {
    let t = E2e::start(
        "a_tall_diagram_fits_the_box_and_can_be_zoomed_panned_and_shown_full_screen",
        &[],
    )
    .await;
    let b = t.browser("", Js::On).await;
    flows::new_diagram(&b).await;
    flows::type_source(&b, &tall()).await;
    flows::wait_for_live_preview(&b, None, "Step 59").await;
    let page = b
        .js(
            "var box = document.querySelector('.preview');
             return {page: document.documentElement.scrollHeight,
                     box: box.getBoundingClientRect().height,
                     state: box.reefPreview.state()};",
            vec![],
        )
        .await;
    b.check(
        page["page"].as_f64().unwrap_or(1e9) < 1800.0
            && page["box"].as_f64().unwrap_or(1e9) <= 700.0
            && page["state"]["fit"] == true,
        &format!("the page does not grow with the diagram, which is fitted: {page}"),
    )
    .await;
    b.shot("tall-fitted").await;

    let scale = |v: &serde_json::Value| v["scale"].as_f64().unwrap_or(0.0);
    let state = "return document.querySelector('.preview').reefPreview.state();";
    let fitted = b.js(state, vec![]).await;
    b.click("Zoom in", &b.find("button[aria-label='Zoom in']").await)
        .await;
    b.click("Zoom in", &b.find("button[aria-label='Zoom in']").await)
        .await;
    let zoomed = b.js(state, vec![]).await;
    b.check(
        scale(&zoomed) > scale(&fitted) * 1.4 && zoomed["fit"] == false,
        &format!("zooming in: {fitted} → {zoomed}"),
    )
    .await;
    // Keys pan a zoomed view, and a new render keeps the zoom.
    b.send_keys(".preview", "\u{E015}").await; // ArrowDown
    let panned = b.js(state, vec![]).await;
    b.check(
        panned["y"] != zoomed["y"],
        &format!("the arrow key moves the view: {zoomed} → {panned}"),
    )
    .await;
    let shown = b.attr("#preview", "src").await.unwrap_or_default();
    flows::send_to_source(&b, "    n59 --> n60[Step 60]\n").await;
    flows::wait_for_live_preview(&b, Some(&shown), "Step 60").await;
    let kept = b.js(state, vec![]).await;
    b.check(
        (scale(&kept) - scale(&panned)).abs() < 1e-6 && kept["fit"] == false,
        &format!("typing keeps the zoom: {panned} → {kept}"),
    )
    .await;
    b.shot("zoomed").await;
    b.click(
        "Fit",
        &b.find("button[aria-label='Fit the diagram in the box']")
            .await,
    )
    .await;
    let refit = b.js(state, vec![]).await;
    b.check(refit["fit"] == true, &format!("Fit fits again: {refit}"))
        .await;
    // 100% is the drawing's own size (its viewBox), not the box's.
    b.click("100%", &b.find("button[aria-label='Actual size']").await)
        .await;
    let actual = b
        .js(
            "var img = document.getElementById('preview');
             return [document.querySelector('.preview').reefPreview.state(),
                     parseFloat(img.getAttribute('data-width'))];",
            vec![],
        )
        .await;
    b.check(
        (scale(&actual[0]) - 1.0).abs() < 1e-6
            && (actual[0]["width"].as_f64().unwrap_or(0.0) - actual[1].as_f64().unwrap_or(-1.0))
                .abs()
                < 1.0,
        &format!("100% shows the drawing at its own width: {actual}"),
    )
    .await;

    b.click(
        "Full screen",
        &b.find("button[aria-label='Full screen']").await,
    )
    .await;
    b.wait_for(
        "full screen",
        "return document.querySelector('.preview').reefPreview.state().full === true;",
    )
    .await;
    b.shot("full-screen").await;
    b.click(
        "Exit full screen",
        &b.find(".preview-toolbar button:last-child").await,
    )
    .await;
    b.wait_for(
        "leaving full screen",
        "return document.querySelector('.preview').reefPreview.state().full === false;",
    )
    .await;
}

#[tokio::test]
async fn on_a_phone_source_and_preview_are_tabs() {
    let t = E2e::start("on_a_phone_source_and_preview_are_tabs", &[]).await;
    let b = t.phone("", Js::On).await;
    flows::new_diagram(&b).await;
    let width = b
        .js("return document.documentElement.scrollWidth;", vec![])
        .await;
    b.check(
        width.as_u64().unwrap_or(9999) <= 390,
        &format!("the editor fits the phone's width: {width}"),
    )
    .await;
    flows::type_source(&b, "flowchart TD\n    a[On a phone] --> b[Tabs]\n").await;
    let visible = "return [document.querySelector('.cm-editor').offsetParent !== null,
                           document.querySelector('.preview').offsetParent !== null];";
    let before = b.js(visible, vec![]).await;
    b.check(
        before == serde_json::json!([true, false]),
        &format!("Source shows first, alone: {before}"),
    )
    .await;
    b.shot("source-tab").await;
    b.click_button("Preview").await;
    flows::wait_for_live_preview(&b, None, "On a phone").await;
    let after = b.js(visible, vec![]).await;
    b.check(
        after == serde_json::json!([false, true]),
        &format!("the Preview tab shows the diagram alone: {after}"),
    )
    .await;
    b.shot("preview-tab").await;
    b.click_button("Source").await;
    let back = b.js(visible, vec![]).await;
    b.check(back == serde_json::json!([true, false]), "and back")
        .await;
    let text = flows::source_text(&b).await;
    b.check(text.contains("On a phone"), "the text is untouched")
        .await;
}

#[tokio::test]
async fn a_dark_page_previews_in_the_dark_theme_unless_the_diagram_picks_its_own() {
    let t = E2e::start(
        "a_dark_page_previews_in_the_dark_theme_unless_the_diagram_picks_its_own",
        &[],
    )
    .await;
    let b = t.dark("", Js::On).await;
    flows::new_diagram(&b).await;
    flows::type_source(&b, "flowchart LR\n    a[Dark] --> b[Page]\n").await;
    flows::wait_for_live_preview(&b, None, "Page").await;
    let dark = flows::preview_svg(&b).await.unwrap_or_default();
    let ground = b
        .js(
            "return document.querySelector('.preview').classList.contains('dark-diagram');",
            vec![],
        )
        .await;
    b.check(
        ground == true && dark.contains("#1f2020"),
        "the diagram is drawn in mermaid's dark theme on a dark ground",
    )
    .await;
    b.shot("dark").await;
    let shown = b.attr("#preview", "src").await.unwrap_or_default();
    flows::type_source(
        &b,
        "%%{init: {\"theme\": \"forest\"}}%%\nflowchart LR\n    a[Own] --> b[Theme]\n",
    )
    .await;
    flows::wait_for_live_preview(&b, Some(&shown), "Theme").await;
    let own = flows::preview_svg(&b).await.unwrap_or_default();
    b.check(
        !own.contains("#1f2020"),
        "a diagram that sets its own theme keeps it",
    )
    .await;
    // An error's line is the text's own, not shifted by the theme.
    let shown = b.attr("#preview", "src").await.unwrap_or_default();
    let _ = shown;
    flows::type_source(&b, "flowchart LR\n    a --> b\n    c --> ((\n").await;
    b.wait_for(
        "the rendering error",
        "return !document.getElementById('render-error').classList.contains('hidden');",
    )
    .await;
    let said = b.text("#render-error").await;
    b.check(
        said.starts_with("line 3"),
        &format!("the error names line 3: {said:?}"),
    )
    .await;
}
