//! Browser tests: the real `reef` binary driven through headless Chromium over WebDriver.
//!
//! Each test starts its own Reef server (127.0.0.1:0, temporary data directory) and its own
//! ChromeDriver, opens fresh browser profiles, and saves a screenshot of each main step to
//! `screenshots/<test>/` (git-ignored) so a failing run can be looked at. Needs Debian's
//! `chromium` and `chromium-driver`; `REEF_E2E_CHROMIUM` / `REEF_E2E_CHROMEDRIVER` point
//! elsewhere. `REEF_E2E_DOCS=1` also refreshes `docs/editor.png`.
#![allow(clippy::unwrap_used, clippy::panic)]

mod accounts;
#[path = "../common/mod.rs"]
mod common;
mod editor;
mod export;
mod flows;
mod fonts;
mod guests;
mod harness;
mod history;
mod no_script;
mod preview;
mod samples;
mod saving;
mod sharing;
mod source_editor;
mod sub_path;
mod tokens;
mod xss;
