//! Reef published under a sub-path (`--public-url http://host/reef/`) behind a reverse proxy
//! that forwards only `/reef/…`: a person creates, previews live, saves and shares a diagram
//! without ever leaving `/reef`, with and without JavaScript.

use fantoccini::key::Key;

use crate::flows;
use crate::harness::{E2e, Js};

#[tokio::test]
async fn under_a_sub_path_the_editor_previews_saves_and_shares() {
    let t =
        E2e::start_under_sub_path("under_a_sub_path_the_editor_previews_saves_and_shares").await;
    let b = t.browser("", Js::On).await;

    // The samples, the unsaved editor and the first save all stay under /reef.
    let id = flows::new_diagram(&b).await;
    let path = b.path().await;
    b.check(
        path == format!("/reef/d/{id}") || path == format!("/reef/d/{id}?saved=1"),
        &format!("the editor is under /reef: {path}"),
    )
    .await;
    // The source editor's script loads from under /reef too.
    b.find(".cm-content").await;
    b.wait_for_image("the server-rendered preview under /reef", "#preview")
        .await;
    flows::record_preview_blobs(&b).await;
    b.shot("editor-under-reef").await;

    // The live preview goes through the proxy: a request to /preview at the root would 404.
    flows::type_source(
        &b,
        "flowchart LR\n    sub[Under a sub-path] --> works[Works]\n",
    )
    .await;
    flows::wait_for_live_preview(&b, None, "Under a sub-path").await;
    b.shot("live-preview-under-reef").await;

    flows::send_to_source(&b, &(Key::Control + "s")).await;
    flows::wait_until_saved(&b).await;

    b.click_button("Create share link").await;
    b.find("#share-url").await;
    let link = b.value("#share-url").await;
    b.check(
        link.contains("/reef/s/"),
        &format!("the share link should be under /reef, it is {link:?}"),
    )
    .await;
    let viewer = t.browser("viewer", Js::Off).await;
    viewer.goto(&link).await;
    viewer
        .wait_for_image("the shared diagram's image under /reef", ".preview img")
        .await;
    viewer.shot("shared-under-reef").await;
    let html = viewer.html().await;
    viewer
        .check(
            html.contains("Under a sub-path"),
            "the share page shows the saved source",
        )
        .await;
    b.check(path.len() > "/reef/d/".len(), "an id in the editor's path")
        .await;
}
