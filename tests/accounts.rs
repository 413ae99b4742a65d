//! Accounts: the sign-up policy, sessions, CSRF, settings and accounts-off mode.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::TestServer;
use reqwest::StatusCode;

const PW: &str = "correct horse battery";

#[tokio::test]
async fn first_account_can_sign_up_from_the_browser_and_becomes_admin() {
    let server = TestServer::start().await;
    let alice = server.browser();
    let page = alice.get("/signup").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Create the first account"));
    alice
        .sign_up("alice@example.net", PW)
        .await
        .assert_redirect("/");
    let settings = alice.get("/settings").await;
    assert_eq!(settings.status, StatusCode::OK);
    assert!(settings.body.contains("alice@example.net"));
    assert!(settings.body.contains(">admin<"));
}

#[tokio::test]
async fn second_sign_up_is_refused_while_sign_ups_are_closed() {
    let server = TestServer::start().await;
    server
        .browser()
        .sign_up("alice@example.net", PW)
        .await
        .assert_redirect("/");
    let bob = server.browser();
    let page = bob.get("/signup").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Sign-ups are closed"));
    let page = bob.sign_up("bob@example.net", PW).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Sign-ups are closed"));
    assert_eq!(
        bob.get("/settings").await.location.as_deref(),
        Some("/login")
    );
}

#[tokio::test]
async fn open_sign_ups_let_more_people_register_but_not_as_admin() {
    let server = TestServer::start_with(|c| c.open_signups = true).await;
    server
        .browser()
        .sign_up("alice@example.net", PW)
        .await
        .assert_redirect("/");
    let bob = server.browser();
    bob.sign_up("bob@example.net", PW)
        .await
        .assert_redirect("/");
    let settings = bob.get("/settings").await;
    assert!(settings.body.contains("bob@example.net"));
    assert!(!settings.body.contains(">admin<"));
}

#[tokio::test]
async fn duplicate_email_is_refused_case_insensitively() {
    let server = TestServer::start_with(|c| c.open_signups = true).await;
    server
        .browser()
        .sign_up("Alice@Example.net", PW)
        .await
        .assert_redirect("/");
    let page = server.browser().sign_up("alice@example.NET", PW).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("already exists"));
}

#[tokio::test]
async fn bad_sign_up_input_gets_a_clear_message() {
    let server = TestServer::start().await;
    let b = server.browser();
    let short = b.sign_up("a@example.net", "short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("at least 8 characters"));
    let long = "x".repeat(1025);
    let page = b.sign_up("a@example.net", &long).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("at most 1024 bytes"));
    let page = b.sign_up("not-an-email", PW).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("valid email"));
    // The email typed is kept in the form.
    assert!(page.body.contains("value=\"not-an-email\""));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let server = TestServer::start().await;
    server.browser().sign_up("alice@example.net", PW).await;
    let b = server.browser();
    let wrong = b.sign_in("alice@example.net", "not the password").await;
    let unknown = b.sign_in("nobody@example.net", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let message = "That email and password do not match an account.";
    assert!(wrong.body.contains(message) && unknown.body.contains(message));
    assert!(b.get("/settings").await.status.is_redirection());
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sign_out_destroys_it() {
    let server = TestServer::start().await;
    let alice = server.browser();
    alice
        .sign_up("alice@example.net", PW)
        .await
        .assert_redirect("/");
    let first = alice.cookie("reef_session").unwrap();
    alice
        .sign_in("alice@example.net", PW)
        .await
        .assert_redirect("/");
    let second = alice.cookie("reef_session").unwrap();
    assert_ne!(first, second, "sign-in must issue a new session id");

    // The replaced session no longer works anywhere.
    let thief = server.browser();
    thief.set_cookie("reef_session", &first);
    assert_eq!(
        thief.get("/settings").await.location.as_deref(),
        Some("/login")
    );

    alice.post("/logout", &[]).await.assert_redirect("/");
    assert!(alice.cookie("reef_session").is_none_or(|v| v.is_empty()));
    // Replaying the signed-out cookie is refused.
    thief.set_cookie("reef_session", &second);
    assert_eq!(
        thief.get("/settings").await.location.as_deref(),
        Some("/login")
    );
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax() {
    let server = TestServer::start_with(|c| c.secure_cookies = true).await;
    let b = server.browser();
    let csrf = b.csrf().await;
    let response = b
        .client
        .post(b.url("/signup"))
        .form(&[
            ("email", "a@example.net"),
            ("password", PW),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let set = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("__Host-reef_session="))
        .unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(set.contains(part), "{set} lacks {part}");
    }
}

#[tokio::test]
async fn forms_without_a_matching_csrf_token_are_refused_with_a_friendly_page() {
    let server = TestServer::start().await;
    let b = server.browser();
    b.get("/").await;
    let missing = b
        .post_raw("/signup", &[("email", "a@example.net"), ("password", PW)])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.body.contains("This form has expired"));
    let forged = b
        .post_raw(
            "/signup",
            &[
                ("email", "a@example.net"),
                ("password", PW),
                ("csrf", &"0".repeat(64)),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Another visitor's token does not work either.
    let other = server.browser().csrf().await;
    let stolen = b.post_raw("/d", &[("csrf", &other)]).await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN);
    // Nothing was created.
    assert_eq!(
        reef::db::users::count(&server.state.db.conn().unwrap()).unwrap(),
        0
    );
}

#[tokio::test]
async fn malformed_cookies_are_treated_as_a_new_visitor() {
    let server = TestServer::start().await;
    let b = server.browser();
    b.set_cookie("reef_session", "garbage%%%");
    b.set_cookie("reef_guest", "not-hex");
    let page = b.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    let id = b.new_diagram().await;
    assert_eq!(b.get(&format!("/d/{id}")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_limited() {
    let server = TestServer::start().await;
    server.browser().sign_up("alice@example.net", PW).await;
    let b = server.browser();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            b.sign_in("alice@example.net", "wrong password")
                .await
                .status,
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Even the right password waits once the limit is reached.
    let page = b.sign_in("alice@example.net", PW).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("Too many sign-in attempts"));
}

#[tokio::test]
async fn password_change_needs_the_current_password_and_signs_out_other_browsers() {
    let server = TestServer::start().await;
    let laptop = server.browser();
    laptop.sign_up("alice@example.net", PW).await;
    let phone = server.browser();
    phone
        .sign_in("alice@example.net", PW)
        .await
        .assert_redirect("/");

    let wrong = laptop
        .post(
            "/settings/password",
            &[
                ("current_password", "nope nope"),
                ("new_password", "a new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("nothing was changed"));

    laptop
        .post(
            "/settings/password",
            &[("current_password", PW), ("new_password", "a new password")],
        )
        .await
        .assert_redirect("/settings?done=password");
    assert_eq!(laptop.get("/settings").await.status, StatusCode::OK);
    assert_eq!(
        phone.get("/settings").await.location.as_deref(),
        Some("/login")
    );
    let fresh = server.browser();
    assert_eq!(
        fresh.sign_in("alice@example.net", PW).await.status,
        StatusCode::UNAUTHORIZED
    );
    fresh
        .sign_in("alice@example.net", "a new password")
        .await
        .assert_redirect("/");
}

#[tokio::test]
async fn email_change_is_checked_and_unique() {
    let server = TestServer::start_with(|c| c.open_signups = true).await;
    server.browser().sign_up("bob@example.net", PW).await;
    let alice = server.browser();
    alice.sign_up("alice@example.net", PW).await;
    let taken = alice
        .post(
            "/settings/email",
            &[("email", "BOB@example.net"), ("current_password", PW)],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    alice
        .post(
            "/settings/email",
            &[("email", "alice@new.example"), ("current_password", PW)],
        )
        .await
        .assert_redirect("/settings?done=email");
    assert!(
        alice
            .get("/settings")
            .await
            .body
            .contains("alice@new.example")
    );
    server
        .browser()
        .sign_in("alice@new.example", PW)
        .await
        .assert_redirect("/");
}

#[tokio::test]
async fn deleting_the_account_deletes_everything_it_owns() {
    let server = TestServer::start().await;
    let alice = server.browser();
    alice.sign_up("alice@example.net", PW).await;
    let id = alice.new_diagram().await;
    let wrong = alice
        .post("/settings/delete", &[("current_password", "wrong pass")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    alice
        .post("/settings/delete", &[("current_password", PW)])
        .await
        .assert_redirect("/");
    let conn = server.state.db.conn().unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM diagrams WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(left, 0);
    let revisions: i64 = conn
        .query_row("SELECT count(*) FROM revisions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(revisions, 0);
    assert_eq!(reef::db::users::count(&conn).unwrap(), 0);
    assert_eq!(
        server
            .browser()
            .sign_in("alice@example.net", PW)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_guests_diagrams_move_into_the_account_on_sign_up() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.save(&id, "Made as a guest", "flowchart LR\n  A --> B\n")
        .await;
    b.sign_up("alice@example.net", PW)
        .await
        .assert_redirect("/");
    let list = b.get("/").await;
    assert!(list.body.contains("Made as a guest"));
    // Signed in somewhere else, the account sees it too: it is the account's now.
    let other = server.browser();
    other.sign_in("alice@example.net", PW).await;
    assert!(other.get("/").await.body.contains("Made as a guest"));
    assert_eq!(other.get(&format!("/d/{id}")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn accounts_off_has_no_account_pages_anywhere() {
    let server = TestServer::start_with(|c| c.accounts = false).await;
    let b = server.browser();
    for path in ["/login", "/signup", "/settings"] {
        assert_eq!(b.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        "/login",
        "/signup",
        "/logout",
        "/settings/password",
        "/settings/delete",
    ] {
        assert_eq!(
            b.post(path, &[]).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let id = b.new_diagram().await;
    for path in ["/".to_owned(), format!("/d/{id}"), "/trash".to_owned()] {
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        for word in ["/login", "/signup", "/settings", "Sign in", "Sign out"] {
            assert!(!page.body.contains(word), "{path} mentions {word}");
        }
    }
}

#[tokio::test]
async fn racing_first_sign_ups_make_exactly_one_admin() {
    let server = TestServer::start().await;
    let mut tasks = Vec::new();
    for i in 0..10u8 {
        // Ten hosts: one host may try only five sign-ups in a row.
        let b = common::Browser::at(
            &server.base,
            std::net::Ipv4Addr::new(127, 0, 0, 20 + i).into(),
        );
        let csrf = b.csrf().await;
        tasks.push(tokio::spawn(async move {
            let email = format!("racer{i}@example.net");
            b.post_raw(
                "/signup",
                &[("email", &email), ("password", PW), ("csrf", &csrf)],
            )
            .await
            .status
        }));
    }
    let mut won = 0;
    for t in tasks {
        let status = t.await.unwrap();
        if status.is_redirection() {
            won += 1;
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
    }
    assert_eq!(won, 1);
    let conn = server.state.db.conn().unwrap();
    let admins: i64 = conn
        .query_row("SELECT count(*) FROM users WHERE is_admin = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!((reef::db::users::count(&conn).unwrap(), admins), (1, 1));
}
