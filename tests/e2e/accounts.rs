//! Accounts in the browser: the first sign-up, signing out and in, guest diagrams moving into a
//! new account, and the guest-only mode having no account pages at all.

use crate::flows::{self, EMAIL, PASSWORD};
use crate::harness::{Browser, E2e, Js};

const GENERIC_FAILURE: &str = "That email and password do not match an account.";

#[tokio::test]
async fn first_account_signs_up_signs_out_and_signs_in_again() {
    let t = E2e::start("first_account_signs_up_signs_out_and_signs_in_again", &[]).await;
    let b = t.browser("", Js::On).await;

    // A new server: the sign-in page points at creating the first account.
    b.goto("/").await;
    b.shot("guest-list").await;
    let sign_in = b.find("nav a[href='/login']").await;
    b.click("the Sign in link", &sign_in).await;
    b.wait_for_path("/login", |p| p == "/login").await;
    let first = b.find("a[href='/signup']").await;
    b.shot("login-no-accounts-yet").await;
    b.click("the first-account link", &first).await;
    b.wait_for_path("/signup", |p| p == "/signup").await;
    let heading = b.text("h1").await;
    b.check(
        heading == "Create the first account",
        &format!("the sign-up page should invite the first account, it says {heading:?}"),
    )
    .await;

    flows::sign_up(&b, EMAIL, PASSWORD).await;
    b.shot("signed-up").await;

    flows::sign_out(&b).await;
    b.check(
        b.count("nav a[href='/settings']").await == 0,
        "signed out, the nav must not show Settings",
    )
    .await;
    b.shot("signed-out").await;

    // A wrong password and an unknown email get the same, generic message.
    for (email, password) in [
        (EMAIL, "not the password"),
        ("nobody@example.net", PASSWORD),
    ] {
        flows::submit_sign_in(&b, email, password).await;
        b.wait_for_path("/login again after a failed sign-in", |p| p == "/login")
            .await;
        let message = b.text(".alert.error").await;
        b.check(
            message == GENERIC_FAILURE,
            &format!(
                "a failed sign-in for {email} should say {GENERIC_FAILURE:?}, it says {message:?}"
            ),
        )
        .await;
        b.check(
            b.count("nav a[href='/settings']").await == 0,
            "a failed sign-in must not sign in",
        )
        .await;
        let kept = b.value("#email").await;
        b.check(kept == email, "the email field keeps what was typed")
            .await;
    }
    b.shot("wrong-password").await;

    flows::sign_in(&b, EMAIL, PASSWORD).await;
    b.shot("signed-in-again").await;
}

#[tokio::test]
async fn guest_diagrams_survive_sign_up() {
    let t = E2e::start("guest_diagrams_survive_sign_up", &[]).await;
    let b = t.browser("", Js::On).await;

    let id = flows::new_diagram(&b).await;
    b.type_into("#title", "Made as a guest").await;
    flows::save_with_button(&b).await;
    let titles = flows::list_titles(&b).await;
    b.check(
        titles == ["Made as a guest"],
        &format!("the guest's list should show the diagram, it shows {titles:?}"),
    )
    .await;
    let hint = b.text(".hint").await;
    b.check(
        hint.contains("working as a guest"),
        &format!("the list should say this is a guest, it says {hint:?}"),
    )
    .await;
    b.shot("guest-list").await;

    flows::sign_up(&b, EMAIL, PASSWORD).await;
    let titles = flows::list_titles(&b).await;
    b.check(
        titles == ["Made as a guest"],
        &format!("after signing up the list should still show the diagram, it shows {titles:?}"),
    )
    .await;
    b.check(
        b.count(".hint").await == 0,
        "signed in, the guest hint must be gone",
    )
    .await;
    b.shot("signed-up-list").await;

    // It now belongs to the account: gone when signed out, back when signed in.
    flows::sign_out(&b).await;
    let titles = flows::list_titles(&b).await;
    b.check(
        titles.is_empty(),
        &format!("signed out, the account's diagrams must not show, the list shows {titles:?}"),
    )
    .await;
    flows::sign_in(&b, EMAIL, PASSWORD).await;
    let titles = flows::list_titles(&b).await;
    b.check(
        titles == ["Made as a guest"],
        &format!("signed in again, the list should show the diagram, it shows {titles:?}"),
    )
    .await;
    let tile = b.find(&format!("a.tile-title[href='/d/{id}']")).await;
    b.click("the diagram's tile", &tile).await;
    b.wait_for_path("the editor", |p| p == format!("/d/{id}"))
        .await;
    let title = b.value("#title").await;
    b.check(
        title == "Made as a guest",
        "the editor opens the kept diagram",
    )
    .await;
    b.shot("editor-after-sign-in").await;
}

#[tokio::test]
async fn accounts_off_shows_no_account_pages_or_links() {
    let t = E2e::start(
        "accounts_off_shows_no_account_pages_or_links",
        &["--accounts", "off"],
    )
    .await;
    let b = t.browser("", Js::On).await;

    b.goto("/").await;
    b.find("h1").await;
    assert_no_account_ui(&b, "list").await;
    b.shot("list").await;

    flows::new_diagram(&b).await;
    b.wait_for_image("the editor's preview", "#preview").await;
    assert_no_account_ui(&b, "editor").await;
    b.shot("editor").await;

    for path in ["/login", "/signup", "/settings"] {
        b.goto(path).await;
        let text = b.body_text().await;
        b.check(
            text.contains("Not found") && text.contains("404"),
            &format!("with accounts off, {path} should be the 404 page"),
        )
        .await;
        if path == "/login" {
            b.shot("login-is-404").await;
        }
    }
}

async fn assert_no_account_ui(b: &Browser, page: &str) {
    let html = b.html().await;
    for word in [
        "Sign in", "Sign up", "Sign out", "Settings", "/login", "/signup",
    ] {
        b.check(
            !html.contains(word),
            &format!("with accounts off, the {page} page must not mention {word:?}"),
        )
        .await;
    }
}
