//! Reef's everyday steps as a person does them in the browser: the building blocks the
//! scenarios share.

use crate::harness::{Browser, Js};

pub const EMAIL: &str = "ada@example.net";
pub const PASSWORD: &str = "correct horse battery";

/// Makes a diagram as a person does: "New diagram" on the list, the Flowchart sample, then
/// Save (nothing is stored before). Leaves the browser in the stored diagram's editor and
/// returns its id.
pub async fn new_diagram(b: &Browser) -> String {
    b.goto("/").await;
    b.click_link("New diagram").await;
    b.wait_for_path("the samples at /new", |p| p.ends_with("/new"))
        .await;
    b.click_link("Flowchart").await;
    b.wait_for_path("an unsaved editor at /new/flowchart", |p| {
        p.ends_with("/new/flowchart")
    })
    .await;
    b.find(source_input(b)).await;
    b.click_button("Save").await;
    let path = b
        .wait_for_path("the stored diagram's editor /d/…", is_saved_editor)
        .await;
    b.find(source_input(b)).await;
    record_preview_blobs(b).await;
    let id = path.rsplit("/d/").next().unwrap_or_default();
    id.trim_end_matches("?saved=1").to_owned()
}

/// Presses the Save button and waits for the editor to come back saying so.
pub async fn save_with_button(b: &Browser) {
    b.click_button("Save").await;
    wait_until_saved(b).await;
}

/// Waits until the editor says the text is saved: with JavaScript the page saves in the
/// background and stays where it is (no reload, no `?saved=1`); without, the form post comes
/// back to the editor with "Saved.".
pub async fn wait_until_saved(b: &Browser) {
    if b.js == Js::On {
        let before = b.path().await;
        b.wait_for(
            "the editor to say Saved · version N",
            "return document.getElementById('save-state').textContent.startsWith('Saved · version ');",
        )
        .await;
        let after = b.path().await;
        b.check(
            after == before,
            &format!("a background save stays on the page: was {before:?}, now {after:?}"),
        )
        .await;
        return;
    }
    wait_until_saved_after_reload(b).await;
}

/// Whether `path` is an editor a save came back to: `/d/<id>?saved=1`, or `/d/<id>` once the
/// page's script has tidied the address.
pub fn is_saved_editor(path: &str) -> bool {
    path.contains("/d/")
        && !path.contains("/revisions")
        && (path.ends_with("?saved=1") || !path.contains('?'))
}

/// Waits for the editor a form post came back to (`?saved=1`, "Saved."), as after a restore.
pub async fn wait_until_saved_after_reload(b: &Browser) {
    // Without the script the address keeps ?saved=1, and the page saved from has none.
    let js = b.js == Js::On;
    b.wait_for_path("the editor after saving /d/…", |p| {
        is_saved_editor(p) && (js || p.ends_with("?saved=1"))
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

/// The element a person types Mermaid text into: the source editor (CodeMirror) with
/// JavaScript, the plain textarea without.
pub fn source_input(b: &Browser) -> &'static str {
    if b.js == Js::On {
        ".cm-content"
    } else {
        "#source"
    }
}

/// Replaces the editor's Mermaid text with `text`. Without JavaScript it is typed into the
/// textarea; with it, the whole text is pasted into the source editor (a real paste event),
/// since typed Enter keys get the line's indentation from the editor, as they would for a
/// person.
pub async fn type_source(b: &Browser, text: &str) {
    if b.js == Js::Off {
        b.type_into("#source", text).await;
        return;
    }
    b.find(".cm-content").await;
    b.js(
        "var v = document.getElementById('source').reefEditor.view;
         v.focus();
         v.dispatch({selection: {anchor: 0, head: v.state.doc.length}});
         var data = new DataTransfer();
         data.setData('text/plain', arguments[0]);
         v.contentDOM.dispatchEvent(new ClipboardEvent('paste',
             {clipboardData: data, bubbles: true, cancelable: true}));
         return true;",
        vec![serde_json::json!(text)],
    )
    .await;
    let typed = source_text(b).await;
    b.check(
        typed == text,
        &format!("the pasted text should be the source, it is {typed:?}"),
    )
    .await;
}

/// Types `keys` (key chords included) at the caret of the editor's Mermaid text, without
/// clearing it; an unfocused editor gets the caret at the end first.
pub async fn send_to_source(b: &Browser, keys: &str) {
    b.send_keys(source_input(b), keys).await;
}

/// The editor's Mermaid text as the form would post it.
pub async fn source_text(b: &Browser) -> String {
    b.value("#source").await
}

/// Where the caret is in the editor's Mermaid text: `{"at": offset, "focused": bool}`.
pub async fn caret(b: &Browser) -> serde_json::Value {
    b.js(
        "var s = document.getElementById('source');
         if (s.reefEditor) {
           var v = s.reefEditor.view;
           return {at: v.state.selection.main.head, focused: v.hasFocus};
         }
         return {at: s.selectionStart, focused: document.activeElement === s};",
        vec![],
    )
    .await
}

/// Puts the caret at `offset` in the editor's Mermaid text, focused.
pub async fn set_caret(b: &Browser, offset: usize) {
    b.js(
        "var s = document.getElementById('source');
         if (s.reefEditor) {
           var v = s.reefEditor.view; v.focus(); v.dispatch({selection: {anchor: arguments[0]}});
         } else { s.focus(); s.setSelectionRange(arguments[0], arguments[0]); }
         return true;",
        vec![serde_json::json!(offset)],
    )
    .await;
}
