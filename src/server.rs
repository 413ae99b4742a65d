//! Starting and stopping the server: bind, serve with client addresses, shut down gracefully,
//! and purge expired data in the background.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::state::AppState;

/// The most a request's line and headers may take together; a larger head gets 431. Cookies
/// and a bearer token need a few KiB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves `app` on `listener` until `shutdown` resolves, finishing in-flight requests.
///
/// Connections are served with hyper's HTTP/1 builder directly (not `axum::serve`) so that a
/// client must send its headers within the configured read timeout (slowloris) and within
/// [`MAX_HEAD_BYTES`]; the body's own deadline is enforced in [`crate::guard`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    spawn_housekeeping(state.clone());
    let read_timeout = state.config.read_timeout;
    let app = crate::app(state);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            app.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .max_header_size(MAX_HEAD_BYTES)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The log filter for `REEF_LOG`-style `directives` (e.g. `debug`), with what must never be
/// logged held back whatever they ask: the MCP library logs whole messages (diagram text)
/// at DEBUG and three lines per request at INFO, so it is kept to warnings. An unreadable
/// `directives` falls back to `info`.
pub fn log_filter(directives: &str) -> tracing_subscriber::EnvFilter {
    let kept = directives
        .split(',')
        .filter(|d| !d.trim_start().starts_with("rmcp"))
        .collect::<Vec<_>>()
        .join(",");
    tracing_subscriber::EnvFilter::try_new(format!("{kept},rmcp=warn"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn"))
}

/// A request path as the log shows it: share ids and guests' recovery links are secrets of
/// their own (anyone holding one can read the diagram, or take a guest's diagrams), so
/// `/s/<share_id>…` is logged as `/s/…` and `/g/<secret>` as `/g/…`.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["/s/", "/g/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return match rest.split_once('/') {
                Some((_, tail)) => format!("{prefix}…/{tail}").into(),
                None => format!("{prefix}…").into(),
            };
        }
    }
    path.into()
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// Hourly: purge the trash after 30 days, guests' diagrams after `REEF_GUEST_PURGE_DAYS`
/// without a change, idle sessions and old security events, and log tokens that have
/// expired.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let now = state.clock.now();
            let idle_guests = state
                .config
                .guest_purge_after
                .map(|after| now - i64::try_from(after.as_secs()).unwrap_or(i64::MAX));
            let result = state
                .db
                .run(move |conn| {
                    let trashed = crate::db::diagrams::purge_trash(conn, now)?;
                    let idle = match idle_guests {
                        Some(cutoff) => crate::db::diagrams::purge_idle_guests(conn, cutoff, now)?,
                        None => {
                            crate::db::diagrams::guest_purge_off(conn)?;
                            0
                        }
                    };
                    let sessions = crate::db::sessions::purge_idle(conn, now)?;
                    crate::db::api_tokens::log_expired(conn, now)?;
                    crate::db::security_log::purge_old(conn, now)?;
                    Ok((trashed, idle, sessions))
                })
                .await;
            match result {
                Ok((trashed, idle, sessions)) => {
                    if idle > 0 {
                        tracing::info!(
                            diagrams = idle,
                            "deleted guests' diagrams unchanged for REEF_GUEST_PURGE_DAYS"
                        );
                    }
                    tracing::debug!(trashed, sessions, "housekeeping done")
                }
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
            }
        }
    });
}
