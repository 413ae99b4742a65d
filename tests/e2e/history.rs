//! Revisions you can read: a revision compared with the one before it or with the current
//! version, and a restore that keeps the current title unless asked.

use crate::flows;
use crate::harness::{E2e, Js};

#[tokio::test]
async fn a_revision_shows_what_changed_and_restore_keeps_the_title() {
    let t = E2e::start(
        "a_revision_shows_what_changed_and_restore_keeps_the_title",
        &[],
    )
    .await;
    let b = t.browser("", Js::On).await;
    let id = flows::new_diagram(&b).await;
    b.type_into("#title", "Old name").await;
    flows::type_source(&b, "flowchart LR\n    a[Alpha] --> b[Beta]\n").await;
    flows::save_with_button(&b).await;
    b.type_into("#title", "New name").await;
    flows::type_source(&b, "flowchart LR\n    a[Alpha] --> c[Gamma]\n").await;
    flows::save_with_button(&b).await;

    b.goto(&format!("/d/{id}/revisions")).await;
    b.click("v2", &b.find("a[href$='/revisions/2']").await)
        .await;
    b.find("#revision-diff").await;
    let diff = b.text("#revision-diff").await;
    b.check(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("a[Alpha] --> b[Beta]")),
        &format!("version 2 against version 1 shows the added line: {diff:?}"),
    )
    .await;
    b.shot("against-previous").await;

    b.click(
        "the current version",
        &b.find("a[href$='?against=current']").await,
    )
    .await;
    b.wait_for_path("?against=current", |p| p.ends_with("?against=current"))
        .await;
    let diff = b.text("#revision-diff").await;
    b.check(
        diff.lines()
            .any(|l| l.starts_with('-') && l.contains("b[Beta]"))
            && diff
                .lines()
                .any(|l| l.starts_with('+') && l.contains("c[Gamma]")),
        &format!("version 2 against the current one: {diff:?}"),
    )
    .await;
    b.shot("against-current").await;

    b.click_button("Restore this version").await;
    flows::wait_until_saved_after_reload(&b).await;
    let (title, source) = (b.value("#title").await, flows::source_text(&b).await);
    b.check(
        title == "New name" && source.contains("b[Beta]"),
        &format!("the text comes back, the title stays: {title:?}, {source:?}"),
    )
    .await;
    b.shot("restored-keeping-the-title").await;
}
