//! A guest's diagrams live in one browser: the list says so, and a recovery link brings them
//! into another browser after asking.

use crate::flows;
use crate::harness::{E2e, Js};

#[tokio::test]
async fn a_guest_moves_their_diagrams_to_another_browser_with_a_recovery_link() {
    let t = E2e::start(
        "a_guest_moves_their_diagrams_to_another_browser_with_a_recovery_link",
        &["--accounts", "off"],
    )
    .await;
    let laptop = t.browser("laptop", Js::On).await;
    flows::new_diagram(&laptop).await;
    laptop.type_into("#title", "Home network").await;
    flows::save_with_button(&laptop).await;
    laptop.goto("/").await;
    let hint = laptop.text(".hint").await;
    laptop
        .check(
            hint.contains("your diagrams live in this browser") && hint.contains("recovery link"),
            &format!("the list says where guest diagrams live: {hint:?}"),
        )
        .await;
    laptop.click_link("recovery link").await;
    laptop.click_button("Make a recovery link").await;
    let link = laptop.value("#recovery-link").await;
    laptop.shot("link-shown-once").await;
    laptop.goto("/guest").await;
    laptop
        .check(
            laptop.count("#recovery-link").await == 0,
            "the link is not shown again",
        )
        .await;

    let phone = t.phone("phone", Js::On).await;
    phone.goto(&link).await;
    phone.shot("asked-first").await;
    phone.click_button("Bring them here").await;
    phone
        .wait_for_path("the list after recovering", |p| {
            p.starts_with("/?recovered=")
        })
        .await;
    let titles = flows::list_titles(&phone).await;
    phone
        .check(titles == ["Home network"], &format!("moved in: {titles:?}"))
        .await;
    phone.shot("recovered").await;
    laptop.goto("/").await;
    let left = flows::list_titles(&laptop).await;
    laptop
        .check(
            left.is_empty(),
            &format!("the laptop no longer has them: {left:?}"),
        )
        .await;
}
