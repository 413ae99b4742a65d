//! API tokens as a person meets them in Settings: the secret shown once, used from a script,
//! gone after reloading, revoked with the trash icon; and the 10-token cap.

use crate::flows::{self, EMAIL, PASSWORD};
use crate::harness::{Browser, E2e, Js};

/// Creates a token through the form and returns the secret read off the page.
async fn create_token(b: &Browser, name: &str) -> String {
    b.goto("/settings").await;
    b.type_into("#token-name", name).await;
    b.click_button("Create token").await;
    b.wait_for(
        "the one-time secret",
        "return !!document.querySelector('#new-token-secret')",
    )
    .await;
    b.value("#new-token-secret").await
}

async fn api_status(t: &E2e, secret: &str) -> (u16, String) {
    let reply = reqwest::Client::new()
        .get(t.url("/api/me"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    (
        reply.status().as_u16(),
        reply.text().await.unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_token_is_shown_once_works_from_a_script_and_dies_when_revoked() {
    let t = E2e::start(
        "a_token_is_shown_once_works_from_a_script_and_dies_when_revoked",
        &[],
    )
    .await;
    let b = t.browser("", Js::On).await;
    flows::sign_up(&b, EMAIL, PASSWORD).await;

    let secret = create_token(&b, "nightly backup").await;
    b.shot("secret-shown-once").await;
    b.check(
        secret.starts_with("reef_") && secret.len() == 54,
        &format!("the page should show a reef_ secret, it shows {secret:?}"),
    )
    .await;
    let warning = b.body_text().await;
    b.check(
        warning.contains("it will not be shown again"),
        "the page warns the secret will not be shown again",
    )
    .await;
    b.check(
        b.js(
            "return !document.querySelector('button[data-copy]').hidden",
            vec![],
        )
        .await
            == true,
        "with JavaScript on, the Copy button is offered",
    )
    .await;

    // A script uses it.
    let (status, body) = api_status(&t, &secret).await;
    b.check(
        status == 200 && body.contains(EMAIL),
        &format!("the token should work from a script: {status} {body}"),
    )
    .await;

    // Going back to the page, the secret is gone; only the masked entry stays.
    b.goto("/settings").await;
    b.shot("after-reload").await;
    let html = b.html().await;
    b.check(
        !html.contains(&secret),
        "the secret must never be shown again",
    )
    .await;
    b.check(
        b.count("#new-token-secret").await == 0,
        "no secret field after reload",
    )
    .await;
    let masked = format!("reef_…{}", &secret[secret.len() - 4..]);
    b.check(
        b.body_text().await.contains(&masked),
        &format!("the masked entry {masked} is listed"),
    )
    .await;
    let row = b.text("table.tokens tbody tr").await;
    b.check(
        row.contains("just now"),
        &format!("the script's use shows as last used: {row:?}"),
    )
    .await;

    // The trash icon asks first, then revokes at once.
    let trash = b.find("button[aria-label='Revoke nightly backup']").await;
    b.click("the trash icon", &trash).await;
    b.check(b.dialog().await.is_some(), "revoking asks for confirmation")
        .await;
    b.accept_dialog().await;
    b.wait_for_path("/settings after revoking", |p| {
        p.starts_with("/settings?done=revoked")
    })
    .await;
    b.shot("revoked").await;
    let (status, body) = api_status(&t, &secret).await;
    b.check(
        status == 401 && body == r#"{"error":"unauthorized"}"#,
        &format!("the next request with a revoked token is 401: {status} {body}"),
    )
    .await;
    b.check(
        b.count("button[aria-label='Revoke nightly backup']").await == 0,
        "the revoked token is no longer listed",
    )
    .await;
}

#[tokio::test]
async fn at_ten_tokens_the_form_is_disabled_with_an_explanation() {
    let t = E2e::start(
        "at_ten_tokens_the_form_is_disabled_with_an_explanation",
        &[],
    )
    .await;
    let b = t.browser("", Js::On).await;
    flows::sign_up(&b, EMAIL, PASSWORD).await;
    for i in 0..10 {
        create_token(&b, &format!("agent {i}")).await;
    }
    b.goto("/settings").await;
    b.shot("ten-tokens").await;
    b.check(
        b.js(
            "return document.querySelector('#token-name').matches(':disabled')",
            vec![],
        )
        .await
            == true,
        "the name field is disabled at 10 tokens",
    )
    .await;
    let text = b.body_text().await;
    b.check(
        text.contains("10 of 10 active tokens") && text.contains("the most an account can have"),
        "the page explains the cap",
    )
    .await;
    // Revoking one frees a slot.
    let trash = b.find("button[aria-label='Revoke agent 3']").await;
    b.click("the trash icon of agent 3", &trash).await;
    b.accept_dialog().await;
    b.wait_for_path("/settings after revoking", |p| {
        p.starts_with("/settings?done=revoked")
    })
    .await;
    b.check(
        b.js(
            "return document.querySelector('#token-name').matches(':disabled')",
            vec![],
        )
        .await
            == false,
        "a revoked token frees a slot",
    )
    .await;
    create_token(&b, "agent 10").await;
    b.shot("slot-freed").await;
}

#[tokio::test]
async fn settings_show_expiry_in_days_unique_names_and_a_log_with_the_browser() {
    let t = E2e::start(
        "settings_show_expiry_in_days_unique_names_and_a_log_with_the_browser",
        &[],
    )
    .await;
    let b = t.browser("", Js::On).await;
    flows::sign_up(&b, EMAIL, PASSWORD).await;
    create_token(&b, "deploy").await;
    b.goto("/settings").await;
    let expires = b.text("table.tokens td.expires").await;
    b.check(
        expires.ends_with(" UTC (in 182 days)")
            || expires.ends_with(" UTC (in 181 days)")
            || expires.ends_with(" UTC (in 183 days)")
            || expires.ends_with(" UTC (in 184 days)"),
        &format!("the expiry is a date and the days to it: {expires:?}"),
    )
    .await;
    // Badges and dates stay on one line, even on a phone (the same account there).
    let phone = t.phone("phone", Js::On).await;
    flows::sign_in(&phone, EMAIL, PASSWORD).await;
    phone.goto("/settings").await;
    let wrapped = phone
        .js(
            "var tall = function (el) {
               var lh = parseFloat(getComputedStyle(el).lineHeight) || 20;
               return el.getBoundingClientRect().height > lh * 1.6; };
             var els = Array.prototype.slice.call(
               document.querySelectorAll('.tokens .badge, .tokens td.expires > span, .tokens code'));
             return els.filter(tall).map(function (e) { return e.textContent; });",
            vec![],
        )
        .await;
    phone
        .check(
            wrapped == serde_json::json!([]),
            &format!("nothing wraps: {wrapped}"),
        )
        .await;
    phone.shot("tokens").await;

    // The same name again (any letter case) is refused while the first is live.
    b.type_into("#token-name", "Deploy").await;
    b.click_button("Create token").await;
    b.wait_for(
        "the refusal",
        "return document.body.innerText.indexOf('You already have an active token called “Deploy”') >= 0;",
    )
    .await;
    b.check(
        b.count("#new-token-secret").await == 0,
        "no secret for a refused name",
    )
    .await;
    b.shot("name-taken").await;

    // Revoked, the list says none is active; the log names the browser.
    let trash = b.find("button[aria-label='Revoke deploy']").await;
    b.click("the trash icon", &trash).await;
    b.accept_dialog().await;
    b.wait_for_path("/settings after revoking", |p| {
        p.starts_with("/settings?done=revoked")
    })
    .await;
    let none = b.text("#no-tokens").await;
    b.check(
        none.starts_with("None active"),
        &format!("says none is active: {none:?}"),
    )
    .await;
    let log = b.text("#security-log").await;
    b.check(
        log.contains("Signed in")
            && log.contains("Chrome on Linux")
            && log.contains("Chrome on Android")
            && log.contains("Token “deploy” revoked"),
        &format!("the log lists the sign-in with the browser: {log:?}"),
    )
    .await;
    b.shot("log-with-browser").await;
}
