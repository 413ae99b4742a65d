//! Markup in a title or a node label is shown as text on every page and never runs.
//!
//! WebDriver cannot hook `window.alert` before a page's own scripts run, so each page is
//! checked from the outside: no dialog is open, the injected elements do not exist in the DOM,
//! no inline script or event handler appeared, the browser console has no Content Security
//! Policy report (the CSP was never needed), and the title reads literally.

use crate::common;
use crate::flows;
use crate::harness::{Browser, E2e, Js};

const TITLE: &str = "<img src=x onerror=alert(1)> <script>alert(2)</script>";
/// Label markup is sanitised as mermaid.js does it (DOMPurify): the tags go, the words stay.
const SOURCE: &str = "flowchart LR\n  A[\"<img src=x onerror=alert(1)>Hostile\"] --> B[\"<script>alert(2)</script>Labels\"]\n";

#[tokio::test]
async fn hostile_titles_and_labels_never_run_script() {
    let t = E2e::start("hostile_titles_and_labels_never_run_script", &[]).await;
    let b = t.browser("owner", Js::On).await;

    let id = flows::new_diagram(&b).await;
    b.type_into("#title", TITLE).await;
    flows::type_source(&b, SOURCE).await;
    // The live preview renders the hostile labels too.
    flows::wait_for_live_preview(&b, None, "Labels").await;
    let preview = flows::preview_svg(&b).await.unwrap_or_default();
    let inert = common::svg_is_inert(&preview);
    b.check(
        inert.is_ok(),
        &format!(
            "the live preview's SVG must carry no script, handler or embedded document: {inert:?}"
        ),
    )
    .await;
    assert_inert(&b, "editor (live preview)", None).await;
    flows::save_with_button(&b).await;
    b.click_button("Create share link").await;
    let link = b.value("#share-url").await;

    b.goto(&format!("/d/{id}")).await;
    b.wait_for_image("the editor's server-rendered preview", "#preview")
        .await;
    let title = b.value("#title").await;
    b.check(
        title == TITLE,
        &format!("the title field holds the text as typed, it holds {title:?}"),
    )
    .await;
    assert_inert(&b, "editor", Some(TITLE)).await;

    b.goto("/").await;
    b.find(".tile").await;
    assert_inert(&b, "list", Some(TITLE)).await;

    b.goto(&format!("/d/{id}/revisions")).await;
    assert_inert(&b, "revisions", Some(TITLE)).await;

    b.goto(&format!("/d/{id}/revisions/2")).await;
    b.wait_for_image("the revision's image", ".revision img")
        .await;
    assert_inert(&b, "revision 2", Some(TITLE)).await;
    let shown = b.text(".revision pre.source").await;
    b.check(
        shown.trim_end() == SOURCE.trim_end(),
        &format!("the revision shows the source literally, it shows {shown:?}"),
    )
    .await;

    // The rendered SVG opened on its own, as a top-level document.
    for image in [
        format!("/d/{id}/image.svg"),
        format!("/s/{}/image.svg", share_id(&link)),
    ] {
        b.goto(&image).await;
        assert_inert(&b, &image, None).await;
        b.check(
            b.count("script, foreignObject script, [onload], iframe, object, embed")
                .await
                == 0,
            &format!("the SVG at {image} must carry no script or embedded document"),
        )
        .await;
    }

    let viewer = t.browser("viewer", Js::On).await;
    viewer.goto(&link).await;
    viewer
        .wait_for_image("the shared diagram", ".preview.shared img")
        .await;
    assert_inert(&viewer, "share", Some(TITLE)).await;
    let summary = viewer.find("details summary").await;
    viewer.click("the Mermaid source summary", &summary).await;
    let shown = viewer.text("pre.source").await;
    viewer
        .check(
            shown.trim_end() == SOURCE.trim_end(),
            &format!("the share page shows the source literally, it shows {shown:?}"),
        )
        .await;

    // And the trash, after the confirm step.
    b.goto(&format!("/d/{id}")).await;
    b.click_button("Move to trash").await;
    let mut question = None;
    for _ in 0..50 {
        question = b.dialog().await;
        if question.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let question = question.unwrap_or_default();
    b.check(
        question.contains(TITLE),
        &format!("the confirm question quotes the title as text, it says {question:?}"),
    )
    .await;
    b.accept_dialog().await;
    b.wait_for_path("the list after deleting", |p| p == "/?deleted=1")
        .await;
    b.goto("/trash").await;
    assert_inert(&b, "trash", Some(TITLE)).await;
}

fn share_id(link: &str) -> &str {
    link.rsplit('/').next().unwrap_or_default()
}

/// Checks one page from the outside; `title`, when given, must read literally on the page.
async fn assert_inert(b: &Browser, page: &str, title: Option<&str>) {
    if let Some(text) = b.dialog().await {
        b.fail(&format!("the {page} page opened a dialog saying {text:?}"))
            .await;
    }
    let dom = b
        .js(
            "return {
               injectedImg: document.querySelectorAll('img[src=\"x\"]').length,
               handlers: Array.from(document.querySelectorAll('*')).filter(function (e) {
                 return Array.from(e.attributes).some(function (a) { return /^on/i.test(a.name); });
               }).length,
               inlineScripts: Array.from(document.querySelectorAll('script')).filter(function (s) {
                 return !s.getAttribute('src') || s.textContent.trim() !== '';
               }).length
             };",
            vec![],
        )
        .await;
    b.check(
        dom["injectedImg"] == 0 && dom["handlers"] == 0 && dom["inlineScripts"] == 0,
        &format!("the {page} page grew markup from user text: {dom}"),
    )
    .await;
    let csp: Vec<String> = b
        .console()
        .await
        .into_iter()
        .filter(|e| {
            e.message.contains("Content Security Policy")
                || e.message.contains("Content-Security-Policy")
        })
        .map(|e| format!("{}: {}", e.level, e.message))
        .collect();
    b.check(
        csp.is_empty(),
        &format!("on the {page} page the CSP had to block something: {csp:#?}"),
    )
    .await;
    if let Some(title) = title {
        let text = b.body_text().await;
        let heading = b.js("return document.title;", vec![]).await;
        b.check(
            text.contains(title) || heading.as_str().is_some_and(|h| h.contains(title)),
            &format!("the {page} page should show the title literally"),
        )
        .await;
    }
    b.shot(&page.replace(['/', ' ', '(', ')'], "-")).await;
}
