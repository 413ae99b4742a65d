//! Reef's everyday steps as a person does them in the browser: the building blocks the
//! scenarios share.

use crate::harness::Browser;

pub const EMAIL: &str = "ada@example.net";
pub const PASSWORD: &str = "correct horse battery";

/// Presses "New diagram" on the list and returns the new diagram's id.
pub async fn new_diagram(b: &Browser) -> String {
    b.goto("/").await;
    b.click_button("New diagram").await;
    let path = b
        .wait_for_path("an editor page /d/…", |p| {
            p.starts_with("/d/") && !p.contains('?')
        })
        .await;
    b.find("#source").await;
    record_preview_blobs(b).await;
    path.trim_start_matches("/d/").to_owned()
}

/// Presses the Save button and waits for the editor to come back saying so.
pub async fn save_with_button(b: &Browser) {
    b.click_button("Save").await;
    wait_until_saved(b).await;
}

/// Waits for the redirect after a save and the "Saved." notice.
pub async fn wait_until_saved(b: &Browser) {
    b.wait_for_path("/d/…?saved=1 after saving", |p| {
        p.starts_with("/d/") && p.ends_with("?saved=1")
    })
    .await;
    let state = b.text("#save-state").await;
    b.check(
        state == "Saved.",
        &format!("the editor should say Saved., it says {state:?}"),
    )
    .await;
}

/// Waits until the live preview shows a fresh render of the text just typed: a loaded `blob:`
/// image (other than `other_than`) whose SVG contains `needle`, with no error showing.
/// Typing fires many renders, so an earlier, partial one must not count. Needs
/// `record_preview_blobs` on the page first (`new_diagram` does it). Returns the image's URL.
pub async fn wait_for_live_preview(b: &Browser, other_than: Option<&str>, needle: &str) -> String {
    b.wait_for_async(
        &format!("the live preview to show a new blob: image containing {needle:?}"),
        "var needle = arguments[0], other = arguments[1], done = arguments[arguments.length - 1];
         var img = document.getElementById('preview');
         var fine = img.src.startsWith('blob:') && img.src !== other && img.complete
             && img.naturalWidth > 0
             && document.getElementById('render-error').classList.contains('hidden');
         var blob = (window.__reefBlobs || {})[img.src];
         if (!fine || !blob) { done(false); return; }
         blob.text().then(function (svg) { done(svg.indexOf(needle) >= 0); },
                          function () { done(false); });",
        vec![
            serde_json::json!(needle),
            serde_json::json!(other_than.unwrap_or("")),
        ],
    )
    .await;
    b.attr("#preview", "src").await.unwrap_or_default()
}

/// Fills the sign-up form and submits it; lands on the list, signed in.
pub async fn sign_up(b: &Browser, email: &str, password: &str) {
    b.goto("/signup").await;
    b.type_into("#email", email).await;
    b.type_into("#password", password).await;
    b.click_button("Create account").await;
    b.wait_for_path("/ after signing up", |p| p == "/").await;
    assert_signed_in(b, email).await;
}

/// Fills the sign-in form and submits it, leaving the browser wherever the server sends it.
pub async fn submit_sign_in(b: &Browser, email: &str, password: &str) {
    b.goto("/login").await;
    b.type_into("#email", email).await;
    b.type_into("#password", password).await;
    b.click_button("Sign in").await;
}

pub async fn sign_in(b: &Browser, email: &str, password: &str) {
    submit_sign_in(b, email, password).await;
    b.wait_for_path("/ after signing in", |p| p == "/").await;
    assert_signed_in(b, email).await;
}

pub async fn sign_out(b: &Browser) {
    b.click_button("Sign out").await;
    b.wait_for_path("/ after signing out", |p| p == "/").await;
    b.find("nav a[href='/login']").await;
}

/// The nav shows Settings (titled with the email) and Sign out, not Sign in.
pub async fn assert_signed_in(b: &Browser, email: &str) {
    let settings_title = b.attr("nav a[href='/settings']", "title").await;
    b.check(
        settings_title.as_deref() == Some(email),
        &format!("the Settings link should carry {email}, it has {settings_title:?}"),
    )
    .await;
    b.button("Sign out").await;
    b.check(
        b.count("nav a[href='/login']").await == 0,
        "a signed-in nav must not offer Sign in",
    )
    .await;
}

/// The list page's tile titles, in order.
pub async fn list_titles(b: &Browser) -> Vec<String> {
    b.goto("/").await;
    b.find("h1").await;
    let titles = b
        .js(
            "return Array.from(document.querySelectorAll('.tile-title')).map(a => a.textContent);",
            vec![],
        )
        .await;
    titles
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| t.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Keeps a reference to every Blob the page turns into an object URL, so the test can read
/// the SVG behind the preview (the page's CSP rightly forbids fetching `blob:` URLs).
pub async fn record_preview_blobs(b: &Browser) {
    b.js(
        "var original = URL.createObjectURL;
         window.__reefBlobs = {};
         URL.createObjectURL = function (blob) {
           var url = original.call(URL, blob);
           window.__reefBlobs[url] = blob;
           return url;
         };",
        vec![],
    )
    .await;
}

/// The SVG text the live preview shows (its blob), or `None` if there is none. It is checked
/// outside the page: parsing it there would bind its inline styles to the page's CSP.
pub async fn preview_svg(b: &Browser) -> Option<String> {
    let found = b
        .client
        .execute_async(
            "var done = arguments[arguments.length - 1];
             var blob = (window.__reefBlobs || {})[document.getElementById('preview').src];
             if (!blob) { done(null); return; }
             blob.text().then(done, function () { done(null); });",
            vec![],
        )
        .await;
    found.ok().and_then(|v| v.as_str().map(str::to_owned))
}
