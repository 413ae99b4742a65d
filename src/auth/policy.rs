//! What an authenticated API caller may do, decided once for REST and MCP alike: a read
//! token may read (GET, HEAD, rendering, MCP's read tools) and nothing else; every request
//! counts once against the account's read or write bucket.

use axum::http::Method;

use super::ApiCaller;
use crate::error::ApiError;
use crate::limits::{ApiLimits, Bucket};

/// What a request needs from the caller's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    /// A REST request's access: safe methods and rendering (which stores nothing) read.
    /// `path` is relative to the `/api` nest.
    pub fn of_rest(method: &Method, path: &str) -> Self {
        if matches!(*method, Method::GET | Method::HEAD) || path == "/render" {
            Access::Read
        } else {
            Access::Write
        }
    }
}

impl ApiCaller {
    /// Whether the caller's scope allows `access`.
    ///
    /// # Errors
    /// `403 insufficient_scope` for a write by a read token.
    pub fn check_scope(&self, access: Access) -> Result<(), ApiError> {
        if access == Access::Write && !self.may_write() {
            return Err(ApiError::InsufficientScope);
        }
        Ok(())
    }

    /// Counts one request against the account's bucket for `access`.
    ///
    /// # Errors
    /// `429 rate_limited` with the seconds to wait.
    pub fn count(&self, limits: &ApiLimits, access: Access) -> Result<(), ApiError> {
        let bucket = match access {
            Access::Read => Bucket::Read,
            Access::Write => Bucket::Write,
        };
        limits
            .check(self.user_id, bucket)
            .map_err(|wait| ApiError::RateLimited {
                retry_after: wait.0,
            })
    }
}
