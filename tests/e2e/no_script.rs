//! The core flows in a browser with JavaScript turned off: plain HTML forms all the way.

use crate::flows;
use crate::harness::{E2e, Js};

#[tokio::test]
async fn core_flows_work_without_javascript() {
    let t = E2e::start("core_flows_work_without_javascript", &[]).await;
    let b = t.browser("", Js::Off).await;

    let id = flows::new_diagram(&b).await;
    b.wait_for_image("the server-rendered preview", "#preview")
        .await;
    b.shot("new-diagram").await;

    let source = "flowchart LR\n    form[Plain form] --> button[Saved by the button]\n";
    b.type_into("#title", "No-script plan").await;
    b.type_into("#source", source).await;
    // Proof that the page's script is really off: typing would otherwise say so.
    let state = b.text("#save-state").await;
    b.check(
        state != "Unsaved changes",
        "app.js ran although JavaScript is disabled",
    )
    .await;

    flows::save_with_button(&b).await;
    let (title, kept) = (b.value("#title").await, b.value("#source").await);
    b.check(
        title == "No-script plan" && kept.trim_end() == source.trim_end(),
        &format!("the saved editor should show what was typed, found {title:?} and {kept:?}"),
    )
    .await;
    b.wait_for_image("the saved diagram's preview", "#preview")
        .await;
    let src = b.attr("#preview", "src").await.unwrap_or_default();
    b.check(
        src == format!("/d/{id}/image.svg?v=2"),
        &format!("the preview is the server's image of version 2, src is {src:?}"),
    )
    .await;
    b.shot("saved").await;
    // Copy buttons need the script: without it they are not shown (the text is there to
    // select by hand).
    let shown = b
        .js(
            "return Array.prototype.filter.call(document.querySelectorAll('[data-copy]'),
               function (el) { return el.offsetParent !== null; }).length;",
            vec![],
        )
        .await;
    b.check(
        shown == 0,
        &format!("no copy button shows without JavaScript: {shown}"),
    )
    .await;

    // Without JavaScript the delete form posts at once: no confirm dialog.
    b.click_button("Move to trash").await;
    b.check(
        b.dialog().await.is_none(),
        "no dialog can open without JavaScript",
    )
    .await;
    b.wait_for_path("the list after deleting", |p| p == "/?deleted=1")
        .await;
    let titles = flows::list_titles(&b).await;
    b.check(
        titles.is_empty(),
        &format!("the deleted diagram must leave the list, it shows {titles:?}"),
    )
    .await;
    b.shot("deleted").await;

    b.goto("/trash").await;
    b.shot("trash").await;
    let restore = b.find("button[aria-label='Restore No-script plan']").await;
    b.click("the Restore button", &restore).await;
    b.wait_for_path("the restored diagram's editor", |p| p == format!("/d/{id}"))
        .await;
    let title = b.value("#title").await;
    b.check(
        title == "No-script plan",
        &format!("the restored editor shows the diagram, title is {title:?}"),
    )
    .await;
    b.shot("restored").await;
    let titles = flows::list_titles(&b).await;
    b.check(
        titles == ["No-script plan"],
        &format!("the restored diagram is back in the list, it shows {titles:?}"),
    )
    .await;
}
