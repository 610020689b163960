//! Parsing at the edge: the authenticated caller, upload ids and keys.

use super::state::AppState;
use crate::cookie::Credential;
use crate::domain::{Caller, UploadId};
use crate::error::ApiError;
use crate::keys::ObjectKey;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use std::future::ready;
use std::time::Instant;

/// An authenticated, rate-limited caller: the first thing every protocol
/// route extracts.
pub struct Authed(pub Caller);

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Authed, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return Box::pin(ready(Err(ApiError::BadRequest(
                "server misconfigured".into(),
            ))));
        };
        let s = &state.settings;
        let credential = crate::cookie::credential(
            req,
            s.auth.auth_cookie.as_deref(),
            &s.server.allowed_origins,
        );
        Box::pin(async move {
            let caller = match credential? {
                Credential::Header(h) => state.auth.authenticate(Some(&h)).await?,
                Credential::Cookie(t) => state.auth.authenticate_token(&t).await?,
                Credential::None => state.auth.authenticate(None).await?,
            };
            if let Some(l) = &state.limiter {
                l.check(caller.as_str(), Instant::now())
                    .map_err(ApiError::RateLimited)?;
            }
            Ok(Authed(caller))
        })
    }
}

/// The `{uploadId}` of a path, parsed once into an [`UploadId`].
pub(crate) fn parse_upload_id(id: &str) -> Result<UploadId, ApiError> {
    UploadId::parse(id).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The `?key=` query of the routes that act on one object.
#[derive(Deserialize)]
pub struct KeyQuery {
    pub(crate) key: String,
}

pub(crate) fn parse_key(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<ObjectKey, ApiError> {
    if key.is_empty() {
        return Err(ApiError::BadRequest("`key` is required".into()));
    }
    Ok(state.keys.parse_for(key, caller)?)
}
