//! A share link seen from another, signed-out browser, and gone the moment sharing stops.

use crate::flows;
use crate::harness::{E2e, Js};

#[tokio::test]
async fn shared_link_opens_signed_out_until_sharing_stops() {
    let t = E2e::start("shared_link_opens_signed_out_until_sharing_stops", &[]).await;
    let owner = t.browser("owner", Js::On).await;

    let id = flows::new_diagram(&owner).await;
    owner.type_into("#title", "Shared plan").await;
    flows::save_with_button(&owner).await;
    owner.click_button("Create share link").await;
    let link = owner.value("#share-url").await;
    owner
        .check(
            link.starts_with(&t.url("/s/")),
            &format!("the share link should be on this server, it is {link:?}"),
        )
        .await;
    owner.shot("shared").await;

    let viewer = t.browser("viewer", Js::On).await;
    viewer.goto(&link).await;
    let heading = viewer.text("h1").await;
    viewer
        .check(
            heading == "Shared plan",
            &format!("the shared page should show the title, it shows {heading:?}"),
        )
        .await;
    viewer
        .wait_for_image("the shared diagram", ".preview.shared img")
        .await;
    viewer
        .check(
            viewer.count("form, textarea").await == 0,
            "the shared page is read-only",
        )
        .await;
    viewer.shot("shared-page").await;

    // The link is not a key to the editor.
    viewer.goto(&format!("/d/{id}")).await;
    viewer
        .check(
            viewer.body_text().await.contains("Not found"),
            "a signed-out visitor cannot open the editor",
        )
        .await;

    owner.click_button("Stop sharing").await;
    owner.button("Create share link").await;
    owner
        .check(
            owner.count("#share-url").await == 0,
            "after stopping, the editor shows no share link",
        )
        .await;
    owner.shot("unshared").await;

    viewer.goto(&link).await;
    let text = viewer.body_text().await;
    viewer
        .check(
            text.contains("Not found"),
            "after sharing stops, the link should be the 404 page",
        )
        .await;
    viewer
        .check(
            !text.contains("Shared plan"),
            "after sharing stops, the link must not show the diagram",
        )
        .await;
    viewer.shot("link-gone").await;
}
