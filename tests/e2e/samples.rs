//! "New diagram" offers a sample of every kind and stores nothing until the first save.

use fantoccini::key::Key;

use crate::flows;
use crate::harness::{E2e, Js};

#[tokio::test]
async fn new_diagram_starts_from_a_sample_and_stores_it_on_the_first_save() {
    for js in [Js::On, Js::Off] {
        let name = match js {
            Js::On => "new_diagram_starts_from_a_sample_and_stores_it_on_the_first_save",
            Js::Off => "new_diagram_starts_from_a_sample_without_javascript",
        };
        let t = E2e::start(name, &[]).await;
        let b = t.browser("", js).await;
        b.goto("/").await;
        b.click_link("New diagram").await;
        b.wait_for_path("/new", |p| p == "/new").await;
        let tiles = b.count(".samples .tile").await;
        b.check(tiles >= 20, &format!("a sample of every kind: {tiles}"))
            .await;
        // Every thumbnail is a drawn diagram.
        b.wait_for(
            "every thumbnail to load",
            "return Array.prototype.every.call(document.querySelectorAll('.samples img'),
               function (i) { i.loading = 'eager'; return i.complete && i.naturalWidth > 0; });",
        )
        .await;
        b.shot("samples").await;

        // Looking at a sample and leaving stores nothing.
        b.click_link("Class diagram").await;
        b.wait_for_path("/new/class", |p| p == "/new/class").await;
        b.find(flows::source_input(&b)).await;
        b.goto("/").await;
        let text = b.body_text().await;
        b.check(
            text.contains("No diagrams yet"),
            "opening a sample left nothing behind",
        )
        .await;

        b.goto("/new").await;
        b.click_link("Sequence diagram").await;
        b.wait_for_path("/new/sequence", |p| p == "/new/sequence")
            .await;
        let state = b.text("#save-state").await;
        b.check(
            state.starts_with("Not saved yet"),
            &format!("the editor says nothing is stored yet: {state:?}"),
        )
        .await;
        b.type_into("#title", "Login").await;
        if js == Js::On {
            flows::send_to_source(&b, "\n    You->>Reef: Sign in").await;
            flows::send_to_source(&b, &(Key::Control + "s")).await;
        } else {
            b.send_keys("#source", "\n    You->>Reef: Sign in").await;
            b.click_button("Save").await;
        }
        let path = b
            .wait_for_path("the stored diagram's editor", flows::is_saved_editor)
            .await;
        let source = flows::source_text(&b).await;
        b.check(
            source.starts_with("sequenceDiagram") && source.contains("You->>Reef: Sign in"),
            &format!("the sample with the typed line is stored at {path}: {source:?}"),
        )
        .await;
        b.shot("stored").await;
        b.goto("/").await;
        let titles = flows::list_titles(&b).await;
        b.check(titles == ["Login"], &format!("one diagram: {titles:?}"))
            .await;
    }
}

/// "Import" on the New diagram page takes a Mermaid file chosen in the browser's file picker
/// (a real upload) or a Live Editor link, with and without JavaScript.
#[tokio::test]
async fn a_mermaid_file_or_a_live_editor_link_can_be_imported() {
    use base64::Engine;
    use std::io::Write;
    let t = E2e::start("a_mermaid_file_or_a_live_editor_link_can_be_imported", &[]).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("Team chart.mmd");
    std::fs::write(&file, "flowchart LR\n    lead[Lead] --> dev[Developer]\n").expect("written");
    let state = serde_json::json!({"code": "sequenceDiagram\n  Alice->>Bob: Hi", "mermaid": "{\"theme\": \"default\"}"});
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    deflate
        .write_all(state.to_string().as_bytes())
        .expect("deflated");
    let pako = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(deflate.finish().expect("deflated"));

    for js in [Js::On, Js::Off] {
        let label = if matches!(js, Js::On) { "js" } else { "no-js" };
        let b = t.browser(label, js).await;
        b.goto("/new").await;
        b.send_keys("#import input[type=file]", &file.to_string_lossy())
            .await;
        b.js(
            "document.getElementById('import').scrollIntoView();",
            vec![],
        )
        .await;
        b.shot("file-chosen").await;
        b.click_button("Import").await;
        b.wait_for_path("the imported diagram's editor", |p| p.starts_with("/d/"))
            .await;
        let title = b.value("#title").await;
        b.check(
            title == "Team chart",
            &format!("the file's name is the title: {title:?}"),
        )
        .await;
        b.check(
            flows::source_text(&b)
                .await
                .contains("lead[Lead] --> dev[Developer]"),
            "the file's text is the source",
        )
        .await;
        b.wait_for_image("the imported diagram", "#preview").await;
        b.shot("imported-file").await;

        b.goto("/new").await;
        b.type_into(
            "#import input[name=link]",
            &format!("https://mermaid.live/edit#pako:{pako}"),
        )
        .await;
        b.click_button("Import").await;
        b.wait_for_path("the imported link's editor", |p| p.starts_with("/d/"))
            .await;
        b.check(
            flows::source_text(&b).await.contains("Alice->>Bob: Hi"),
            "the Live Editor's code is the source",
        )
        .await;
        b.shot("imported-link").await;
    }
}
