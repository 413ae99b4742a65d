//! Saving without leaving the page: Ctrl+S and the Save button save in the background, the
//! caret and focus stay, the page warns before leaving unsaved edits, and a save refused
//! because another browser saved first shows both versions to choose from.

use fantoccini::key::Key;

use crate::flows::{self, EMAIL, PASSWORD};
use crate::harness::{Browser, E2e, Js};

const FIRST: &str = "flowchart LR\n    one[One] --> two[Two]\n";

/// Whether the diff has a line marked `sign` (`-` theirs, `+` mine) with `text`.
fn has_line(diff: &str, sign: char, text: &str) -> bool {
    diff.lines()
        .any(|l| l.starts_with(sign) && l[1..].trim() == text)
}

async fn conflict_visible(b: &Browser) -> bool {
    b.js(
        "return !document.getElementById('conflict').hidden;",
        vec![],
    )
    .await
        == true
}

#[tokio::test]
async fn saving_keeps_the_caret_and_a_conflict_can_be_resolved_either_way() {
    let t = E2e::start(
        "saving_keeps_the_caret_and_a_conflict_can_be_resolved_either_way",
        &[],
    )
    .await;
    let mine = t.browser("mine", Js::On).await;
    flows::sign_up(&mine, EMAIL, PASSWORD).await;
    let id = flows::new_diagram(&mine).await;
    mine.type_into("#title", "Shared plan").await;
    flows::type_source(&mine, FIRST).await;
    flows::set_caret(&mine, 14).await;
    let before = flows::caret(&mine).await;
    flows::send_to_source(&mine, &(Key::Control + "s")).await;
    flows::wait_until_saved(&mine).await;
    let after = flows::caret(&mine).await;
    mine.check(
        after == before && after["focused"] == true,
        &format!("the caret stays where it was and focused: before {before}, after {after}"),
    )
    .await;
    let state = mine.text("#save-state").await;
    mine.check(
        state == "Saved · version 2",
        &format!("the state says which version was saved, it says {state:?}"),
    )
    .await;
    mine.shot("saved-in-the-background").await;

    // Typing again marks the page unsaved, and leaving would ask first.
    flows::send_to_source(&mine, "x").await;
    let state = mine.text("#save-state").await;
    mine.check(state == "Unsaved changes", &format!("state is {state:?}"))
        .await;
    let asks = mine
        .js(
            "var e = new Event('beforeunload', {cancelable: true});
             window.dispatchEvent(e); return e.defaultPrevented;",
            vec![],
        )
        .await;
    mine.check(asks == true, "leaving with unsaved edits asks first")
        .await;
    flows::send_to_source(&mine, &Key::Backspace.to_string()).await;

    // Another browser of the same account saves version 3.
    let theirs = t.browser("theirs", Js::On).await;
    flows::sign_in(&theirs, EMAIL, PASSWORD).await;
    theirs.goto(&format!("/d/{id}")).await;
    flows::record_preview_blobs(&theirs).await;
    flows::type_source(
        &theirs,
        "flowchart LR\n    one[One] --> three[Their change]\n",
    )
    .await;
    theirs.click_button("Save").await;
    flows::wait_until_saved(&theirs).await;

    // Mine, still at version 2, saves: refused, with both versions side by side.
    flows::type_source(&mine, "flowchart LR\n    one[One] --> two[My change]\n").await;
    mine.click_button("Save").await;
    mine.wait_for(
        "the conflict panel",
        "return !document.getElementById('conflict').hidden;",
    )
    .await;
    let diff = mine.text("#conflict-diff").await;
    mine.check(
        has_line(&diff, '-', "one[One] --> three[Their change]")
            && has_line(&diff, '+', "one[One] --> two[My change]"),
        &format!("the diff shows their line removed and mine added: {diff:?}"),
    )
    .await;
    let state = mine.text("#save-state").await;
    mine.check(
        state == "Not saved: conflict",
        &format!("state is {state:?}"),
    )
    .await;
    mine.shot("conflict").await;

    // Keep mine: saved as version 4 on top; theirs stays in the history.
    mine.click_button("Keep mine").await;
    mine.wait_for(
        "Saved · version 4",
        "return document.getElementById('save-state').textContent === 'Saved · version 4';",
    )
    .await;
    mine.check(
        !conflict_visible(&mine).await,
        "the conflict panel goes away",
    )
    .await;
    mine.goto(&format!("/d/{id}/revisions/3")).await;
    let old = mine.text("pre.source").await;
    mine.check(
        old.contains("Their change"),
        &format!("their version is kept as revision 3: {old:?}"),
    )
    .await;

    // Theirs, still at version 3, saves: refused; taking the other side puts mine in place.
    flows::send_to_source(&theirs, "\n    three --> four").await;
    flows::send_to_source(&theirs, &(Key::Control + "s")).await;
    theirs
        .wait_for(
            "the conflict panel",
            "return !document.getElementById('conflict').hidden;",
        )
        .await;
    theirs.shot("conflict-other-side").await;
    theirs
        .click("Take theirs", &theirs.find("#take-theirs").await)
        .await;
    let text = flows::source_text(&theirs).await;
    theirs
        .check(
            text.contains("My change") && !text.contains("three --> four"),
            &format!("taking the other version replaces the text: {text:?}"),
        )
        .await;
    flows::wait_for_live_preview(&theirs, None, "My change").await;
    let path = theirs.path().await;
    theirs
        .check(
            path == format!("/d/{id}"),
            &format!("still on the editor: {path}"),
        )
        .await;
    // The next save goes on top of version 4 without a conflict.
    flows::send_to_source(&theirs, "\n    two --> five").await;
    flows::send_to_source(&theirs, &(Key::Control + "s")).await;
    theirs
        .wait_for(
            "Saved · version 5",
            "return document.getElementById('save-state').textContent === 'Saved · version 5';",
        )
        .await;
    theirs.shot("took-theirs-and-saved").await;
}

#[tokio::test]
async fn without_javascript_a_conflict_shows_the_diff_and_keep_mine_saves() {
    let t = E2e::start(
        "without_javascript_a_conflict_shows_the_diff_and_keep_mine_saves",
        &[],
    )
    .await;
    let mine = t.browser("mine", Js::Off).await;
    flows::sign_up(&mine, EMAIL, PASSWORD).await;
    let path = format!("/d/{}", flows::new_diagram(&mine).await);
    let theirs = t.browser("theirs", Js::Off).await;
    flows::sign_in(&theirs, EMAIL, PASSWORD).await;
    theirs.goto(&path).await;
    theirs
        .type_into("#source", "flowchart LR\n    a --> theirs\n")
        .await;
    flows::save_with_button(&theirs).await;

    mine.type_into("#source", "flowchart LR\n    a --> mine\n")
        .await;
    mine.click_button("Save").await;
    mine.find("#conflict-diff").await;
    let diff = mine.text("#conflict-diff").await;
    mine.check(
        has_line(&diff, '-', "a --> theirs") && has_line(&diff, '+', "a --> mine"),
        &format!("the page shows the line diff: {diff:?}"),
    )
    .await;
    let kept = mine.value("#source").await;
    mine.check(kept.contains("a --> mine"), "the typed text is kept")
        .await;
    mine.shot("conflict-no-js").await;
    mine.click_button("Keep mine").await;
    flows::wait_until_saved(&mine).await;
    let kept = mine.value("#source").await;
    mine.check(kept.contains("a --> mine"), "mine is saved on top")
        .await;
}
