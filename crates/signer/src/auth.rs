//! Who is calling. A token comes from `Authorization: Bearer <token>`, or,
//! with `S3LIFT_AUTH_COOKIE`, from a cookie (see [`crate::cookie`]). It is an
//! entry of the static token table, or a JWT (RFC 7519):
//!
//! - HS256, with `S3LIFT_JWT_SECRET`;
//! - RS256, ES256 or EdDSA, with a key of `S3LIFT_JWKS_URL` or
//!   `S3LIFT_JWKS_FILE` ([`crate::jwks`]) whose algorithm is the token's `alg`.
//!
//! `sub` is the caller. `exp` is required; `exp` and `nbf` are checked with
//! [`LEEWAY_SECS`] of clock skew. `aud` and `iss` must match
//! `S3LIFT_JWT_AUDIENCE` and `S3LIFT_JWT_ISSUER` when those are set.
//! Without a token, the caller is `anonymous` when the configuration allows it.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Settings;
pub use crate::domain::Caller;
use crate::domain::InvalidCaller;
use crate::jwks::{Jwks, Lookup, MIN_REFRESH_INTERVAL};
/// Clock skew allowed on `exp` and `nbf`, seconds: IdPs and signers rarely
/// share a clock to the second (RFC 7519 §4.1.4 allows "some small leeway").
pub const LEEWAY_SECS: u64 = 30;

/// Why a request is not authenticated. Messages never echo the token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header and anonymous access is off.
    #[error("missing Authorization: Bearer token")]
    Missing,
    /// A token that is malformed, unknown, badly signed or expired.
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    /// A cookie-authenticated request from an origin that is not allowed:
    /// the browser would attach the cookie to a cross-site forgery too.
    #[error("a request authenticated by cookie must come from the signer's own origin or one in S3LIFT_ALLOWED_ORIGINS")]
    ForbiddenOrigin,
}

impl From<InvalidCaller> for AuthError {
    fn from(_: InvalidCaller) -> Self {
        AuthError::InvalidToken("the token's subject is not a usable caller id")
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

/// Checks bearer tokens. Holds no per-request state.
pub struct Authenticator {
    hs256: Option<DecodingKey>,
    jwks: Option<Jwks>,
    audience: Vec<String>,
    issuer: Vec<String>,
    /// SHA-256 of each token: every entry is compared, in constant time, so
    /// the time to answer says nothing about how close a guess was.
    static_tokens: Vec<([u8; 32], Caller)>,
    allow_anonymous: bool,
}

impl Authenticator {
    /// Builds one from validated settings, and warns about a JWT setup that
    /// accepts tokens minted for any audience.
    pub fn new(settings: &Settings) -> Authenticator {
        Self::with_refresh_interval(settings, MIN_REFRESH_INTERVAL)
    }

    /// As [`Authenticator::new`], with the shortest time between two JWKS
    /// refetches (tests shorten it).
    pub fn with_refresh_interval(
        settings: &Settings,
        interval: std::time::Duration,
    ) -> Authenticator {
        let settings = &settings.auth;
        let hs256 = settings
            .jwt_secret
            .as_ref()
            .map(|s| DecodingKey::from_secret(s.expose().as_bytes()));
        let jwks = settings.jwks.as_ref().map(|s| Jwks::new(s, interval));
        if (hs256.is_some() || jwks.is_some()) && settings.jwt_audience.is_empty() {
            tracing::warn!(
                "S3LIFT_JWT_AUDIENCE is not set: JWTs minted for any audience of the \
                 identity provider are accepted; set it to this API's audience"
            );
        }
        let static_tokens = settings
            .static_tokens
            .entries()
            .map(|(t, c)| (digest(t.expose()), c.clone()))
            .collect();
        Authenticator {
            hs256,
            jwks,
            audience: settings.jwt_audience.clone(),
            issuer: settings.jwt_issuer.clone(),
            static_tokens,
            allow_anonymous: settings.allow_anonymous,
        }
    }

    /// How many times the JWKS was fetched (for tests and logs).
    pub fn jwks_fetches(&self) -> u64 {
        self.jwks.as_ref().map_or(0, Jwks::fetch_count)
    }

    /// The caller of a request, from its `Authorization` header value.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Caller, AuthError> {
        let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
            return if self.allow_anonymous {
                Ok(Caller::anonymous())
            } else {
                Err(AuthError::Missing)
            };
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(AuthError::InvalidToken(
                "the Authorization header must be `Bearer <token>`",
            ))?;
        self.authenticate_token(token).await
    }

    /// The caller a token stands for.
    pub async fn authenticate_token(&self, token: &str) -> Result<Caller, AuthError> {
        let wanted = digest(token);
        let mut found = None;
        for (hash, caller) in &self.static_tokens {
            if bool::from(hash.ct_eq(&wanted)) {
                found = Some(caller);
            }
        }
        if let Some(caller) = found {
            return Ok(caller.clone());
        }
        // Three dot-separated parts: a JWT. Anything else is an unknown static token.
        if token.split('.').count() != 3 {
            return Err(AuthError::InvalidToken("unknown token"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::InvalidToken("the token is not a valid JWT"))?;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.clone().ok_or(AuthError::InvalidToken(
                "HS256 tokens are not accepted here (no S3LIFT_JWT_SECRET)",
            ))?,
            Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA => {
                let jwks = self.jwks.as_ref().ok_or(AuthError::InvalidToken(
                    "RS256, ES256 and EdDSA tokens need S3LIFT_JWKS_URL or S3LIFT_JWKS_FILE",
                ))?;
                match jwks.find(header.kid.as_deref(), header.alg).await {
                    Lookup::Found(k) => k.key,
                    Lookup::WrongAlg => {
                        return Err(AuthError::InvalidToken(
                            "the token's alg is not the algorithm of its key (kid)",
                        ))
                    }
                    Lookup::Unknown => {
                        return Err(AuthError::InvalidToken(
                            "no signing key of the identity provider matches the token's kid",
                        ))
                    }
                }
            }
            _ => {
                return Err(AuthError::InvalidToken(
                    "the token's alg must be HS256, RS256, ES256 or EdDSA",
                ))
            }
        };
        let validation = self.validation(header.alg);
        match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
            Ok(data) => Ok(Caller::parse(&data.claims.sub)?),
            Err(e) => Err(AuthError::InvalidToken(jwt_error_message(e.kind()))),
        }
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        let mut required = vec!["exp", "sub"];
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        if self.audience.is_empty() {
            // Not configured: `aud` is not checked, as the start-up warning says.
            v.validate_aud = false;
        } else {
            v.set_audience(&self.audience);
            required.push("aud");
        }
        if !self.issuer.is_empty() {
            v.set_issuer(&self.issuer);
            required.push("iss");
        }
        v.set_required_spec_claims(&required);
        v
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn jwt_error_message(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "the token has expired",
        K::ImmatureSignature => "the token is not valid yet (nbf is in the future)",
        K::InvalidAudience => "the token's audience (aud) is not S3LIFT_JWT_AUDIENCE",
        K::InvalidIssuer => "the token's issuer (iss) is not S3LIFT_JWT_ISSUER",
        K::InvalidSignature => "the token's signature does not match",
        K::InvalidAlgorithm => "the token's alg does not match its key",
        K::MissingRequiredClaim(c) => match c.as_str() {
            "aud" => "the token needs an `aud` claim (S3LIFT_JWT_AUDIENCE is set)",
            "iss" => "the token needs an `iss` claim (S3LIFT_JWT_ISSUER is set)",
            _ => "the token needs `sub` and `exp` claims",
        },
        _ => "the token is not a valid JWT",
    }
}

#[cfg(test)]
mod tests;
