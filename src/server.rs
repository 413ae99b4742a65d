//! Starting and stopping the server: bind, serve with client addresses, shut down gracefully,
//! and purge expired data in the background.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::state::AppState;

/// Serves `app` on `listener` until `shutdown` resolves, finishing in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    spawn_housekeeping(state.clone());
    let app = crate::app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
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

/// Hourly: purge the trash after 30 days, idle sessions and old security events, and log
/// tokens that have expired.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let now = state.clock.now();
            let result = state
                .db
                .run(move |conn| {
                    let trashed = crate::db::diagrams::purge_trash(conn, now)?;
                    let sessions = crate::db::sessions::purge_idle(conn, now)?;
                    crate::db::api_tokens::log_expired(conn, now)?;
                    crate::db::security_log::purge_old(conn, now)?;
                    Ok((trashed, sessions))
                })
                .await;
            match result {
                Ok((trashed, sessions)) => {
                    tracing::debug!(trashed, sessions, "housekeeping done")
                }
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
            }
        }
    });
}
