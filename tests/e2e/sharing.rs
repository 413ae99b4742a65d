//! A share link seen from another, signed-out browser, and gone the moment sharing stops.

use crate::flows;
use crate::harness::{E2e, Js};

#[tokio::test]
async fn shared_link_opens_signed_out_until_sharing_stops() {
    let t = E2e::start("shared_link_opens_signed_out_until_sharing_stops", &[]).await;
    let owner = t.browser("owner", Js::On).await;

    let id = flows::new_diagram(&owner).await;
    owner.type_into("#title", "Shared plan").await;
    flows::type_source(
        &owner,
        "flowchart LR\n    docs[Read the docs] --> done[Done]\n    click docs \"https://example.net/docs\"\n",
    )
    .await;
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
    // The picture is an image, so its click links are listed under it.
    viewer
        .check(
            viewer
                .count(".node-links a[href='https://example.net/docs'][rel~='noopener']")
                .await
                == 1,
            "the diagram's click link is offered under the picture",
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

    // On again: the same link works again, and the page says so.
    owner.click_button("Create share link").await;
    let again = owner.value("#share-url").await;
    owner
        .check(
            again == link,
            &format!("the same link: {link} then {again}"),
        )
        .await;
    let said = owner.text("#share").await;
    owner
        .check(
            said.contains("with the same link as before"),
            &format!("the page says the link is the same: {said:?}"),
        )
        .await;
    // The Copy button puts the link on the clipboard (pasted back into the title to check).
    owner
        .click("Copy", &owner.find("button[data-copy='#share-url']").await)
        .await;
    owner.type_into("#title", "").await;
    owner
        .send_keys("#title", &(fantoccini::key::Key::Control + "v"))
        .await;
    let pasted = owner.value("#title").await;
    owner
        .check(pasted == link, &format!("the link was copied: {pasted:?}"))
        .await;
    owner.shot("shared-again").await;

    // Another site can show the picture: a page on another origin with an <img> of it.
    let other_site = serve_once_per_request(format!(
        "<!doctype html><title>Wiki</title><img id=e alt=embedded src=\"{link}.svg\">"
    ))
    .await;
    viewer.goto(&other_site).await;
    viewer
        .wait_for_image("the embedded picture on another origin", "#e")
        .await;
    viewer.shot("embedded-elsewhere").await;

    // A new link: the old one stops working at once.
    owner.click_button("New link").await;
    owner.accept_dialog().await;
    owner
        .wait_for(
            "the new link",
            "return document.body.innerText.indexOf('This is a new link') >= 0;",
        )
        .await;
    let renewed = owner.value("#share-url").await;
    owner
        .check(renewed != link, "a new link differs from the old")
        .await;
    viewer.goto(&link).await;
    viewer
        .check(
            viewer.body_text().await.contains("Not found"),
            "the old link is gone after renewing",
        )
        .await;
}

/// A stand-in for another site: serves `html` to every request on 127.0.0.2 (another origin
/// than Reef's 127.0.0.1, still on this machine). Returns its URL.
async fn serve_once_per_request(html: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    url
}

/// The share page shows the diagram as an image, where links do nothing; its `click` links are
/// laid over the picture as plain `<a>` areas, which follow zoom and pan and work without
/// JavaScript too.
#[tokio::test]
async fn click_links_in_a_shared_diagram_can_be_clicked() {
    let t = E2e::start("click_links_in_a_shared_diagram_can_be_clicked", &[]).await;
    let owner = t.browser("owner", Js::On).await;
    flows::new_diagram(&owner).await;
    owner.type_into("#title", "Linked").await;
    let target = t.url("/healthz");
    flows::type_source(
        &owner,
        &format!(
            "flowchart LR\n    a[Start] --> docs[Read the docs] --> b[Done]\n    click docs \"{target}\"\n    click b \"javascript:alert(1)\"\n"
        ),
    )
    .await;
    flows::save_with_button(&owner).await;
    owner.click_button("Create share link").await;
    let link = owner.value("#share-url").await;

    for js in [Js::On, Js::Off] {
        let label = if matches!(js, Js::On) {
            "viewer"
        } else {
            "viewer-no-js"
        };
        let viewer = t.browser(label, js).await;
        viewer.goto(&link).await;
        viewer
            .wait_for_image("the shared diagram", ".preview.shared img")
            .await;
        viewer
            .check(
                viewer.count(".link-map a").await == 1,
                "one area: the javascript: link is not one",
            )
            .await;
        // The area lies on the picture, over the middle of the three nodes.
        let place = "var i = document.querySelector('.preview.shared img').getBoundingClientRect();
            var a = document.querySelector('.link-map rect').getBoundingClientRect();
            return [(a.left + a.width / 2 - i.left) / i.width, (a.top + a.height / 2 - i.top) / i.height, a.width / i.width, a.width];";
        let at = viewer.js(place, vec![]).await;
        let nums: Vec<f64> = at
            .as_array()
            .map(|v| v.iter().filter_map(|n| n.as_f64()).collect())
            .unwrap_or_default();
        viewer
            .check(
                nums.len() == 4
                    && (0.3..0.7).contains(&nums[0])
                    && (0.2..0.8).contains(&nums[1])
                    && (0.1..0.5).contains(&nums[2]),
                &format!("the area should be over the middle node: {at}"),
            )
            .await;
        if matches!(js, Js::On) {
            // Zoomed in, the area grows with the picture and stays on the same spot of it.
            viewer
                .click(
                    "Zoom in",
                    &viewer.find("button[aria-label='Zoom in']").await,
                )
                .await;
            viewer
                .click(
                    "Zoom in",
                    &viewer.find("button[aria-label='Zoom in']").await,
                )
                .await;
            let zoomed = viewer.js(place, vec![]).await;
            let z: Vec<f64> = zoomed
                .as_array()
                .map(|v| v.iter().filter_map(|n| n.as_f64()).collect())
                .unwrap_or_default();
            viewer
                .check(
                    z.len() == 4
                        && (z[0] - nums[0]).abs() < 0.01
                        && (z[1] - nums[1]).abs() < 0.01
                        && z[3] > nums[3] * 1.2,
                    &format!("the area follows the zoom: before {at}, after {zoomed}"),
                )
                .await;
            viewer.shot("zoomed-link").await;
        } else {
            viewer.shot("link-map").await;
        }
        // A real click on the node follows its link.
        let area = viewer.find(".link-map a").await;
        viewer.click("the linked node", &area).await;
        viewer
            .wait_for_path("the click link's page", |p| p.ends_with("/healthz"))
            .await;
    }

    // On a phone the box takes the wide diagram's shape instead of a tall empty frame.
    let phone = t.phone("viewer-phone", Js::On).await;
    phone.goto(&link).await;
    phone
        .wait_for_image("the shared diagram", ".preview.shared img")
        .await;
    phone
        .wait_for(
            "the box to take the diagram's shape",
            "var b = document.querySelector('.preview.shared'); return b.clientHeight > 0 && b.clientHeight < 260;",
        )
        .await;
    phone.shot("phone-share").await;

    // In dark mode the page shows mermaid's dark theme (no script needed: a <picture>).
    let dark = t.dark("viewer-dark", Js::Off).await;
    dark.goto(&link).await;
    dark.wait_for_image("the shared diagram", ".preview.shared img")
        .await;
    let shown = dark
        .js(
            "var i = document.querySelector('.preview.shared img');
             return [i.currentSrc, getComputedStyle(i.closest('.preview')).backgroundColor];",
            vec![],
        )
        .await;
    dark.check(
        shown[0]
            .as_str()
            .is_some_and(|src| src.ends_with("image.svg?theme=dark"))
            && shown[1] == "rgb(30, 30, 30)",
        &format!("the dark picture on a dark box: {shown}"),
    )
    .await;
    dark.shot("dark-share").await;
}
