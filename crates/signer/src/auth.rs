//! Who is calling: `Authorization: Bearer <token>` is an HS256 JWT (`sub` is
//! the caller, `exp` is checked) or an entry of the static token table.
//! Without a header, the caller is `anonymous` when the configuration allows it.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::config::Settings;
pub use crate::domain::Caller;
use crate::domain::InvalidCaller;

/// Why a request is not authenticated. Messages never echo the token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header and anonymous access is off.
    #[error("missing Authorization: Bearer token")]
    Missing,
    /// A token that is malformed, unknown, badly signed or expired.
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
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
    jwt: Option<(DecodingKey, Validation)>,
    static_tokens: HashMap<String, Caller>,
    allow_anonymous: bool,
}

impl Authenticator {
    /// Builds one from validated settings.
    pub fn new(settings: &Settings) -> Authenticator {
        let jwt = settings.auth.jwt_secret.as_ref().map(|s| {
            let mut v = Validation::new(Algorithm::HS256);
            v.set_required_spec_claims(&["exp", "sub"]);
            v.leeway = 5;
            (DecodingKey::from_secret(s.expose().as_bytes()), v)
        });
        let static_tokens = settings
            .auth
            .static_tokens
            .entries()
            .map(|(t, c)| (t.expose().to_owned(), c.clone()))
            .collect();
        Authenticator {
            jwt,
            static_tokens,
            allow_anonymous: settings.auth.allow_anonymous,
        }
    }

    /// The caller of a request, from its `Authorization` header value.
    pub fn authenticate(&self, header: Option<&str>) -> Result<Caller, AuthError> {
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
        if let Some(caller) = self.static_tokens.get(token) {
            return Ok(caller.clone());
        }
        // Three dot-separated parts: a JWT. Anything else is an unknown static token.
        if token.split('.').count() == 3 {
            let Some((key, validation)) = &self.jwt else {
                return Err(AuthError::InvalidToken(
                    "JWTs are not accepted here (no S3LIFT_JWT_SECRET)",
                ));
            };
            return match jsonwebtoken::decode::<Claims>(token, key, validation) {
                Ok(data) => Ok(Caller::parse(&data.claims.sub)?),
                Err(e) => Err(AuthError::InvalidToken(match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the token has expired",
                    jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                        "the token's signature does not match"
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                        "the token must be signed with HS256"
                    }
                    jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_) => {
                        "the token needs `sub` and `exp` claims"
                    }
                    _ => "the token is not a valid JWT",
                })),
            };
        }
        Err(AuthError::InvalidToken("unknown token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use jsonwebtoken::{encode, EncodingKey, Header};

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn auth(anonymous: bool) -> Authenticator {
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("S3LIFT_S3_BUCKET".into(), "b-1".into());
        env.insert(
            "S3LIFT_STATIC_TOKENS".into(),
            "tok-alice-1=alice,tok-bob-22=bob".into(),
        );
        env.insert("S3LIFT_ALLOW_ANONYMOUS".into(), anonymous.to_string());
        let _ = env.get("x");
        let mut s = Settings::load(None, &env).unwrap();
        s.auth.jwt_secret = Some(Secret::new(SECRET));
        Authenticator::new(&s)
    }

    fn jwt(sub: &str, exp_from_now: i64, secret: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let claims = serde_json::json!({ "sub": sub, "exp": now + exp_from_now });
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn static_tokens_and_jwts() {
        let a = auth(false);
        assert_eq!(
            a.authenticate(Some("Bearer tok-alice-1")).unwrap().as_str(),
            "alice"
        );
        let t = jwt("carol", 60, SECRET);
        assert_eq!(
            a.authenticate(Some(&format!("Bearer {t}")))
                .unwrap()
                .as_str(),
            "carol"
        );
    }

    #[test]
    fn refusals() {
        let a = auth(false);
        assert_eq!(a.authenticate(None), Err(AuthError::Missing));
        assert!(matches!(
            a.authenticate(Some("Bearer nope")),
            Err(AuthError::InvalidToken(_))
        ));
        assert!(matches!(
            a.authenticate(Some("Basic abc")),
            Err(AuthError::InvalidToken(_))
        ));
        let expired = jwt("carol", -3600, SECRET);
        assert_eq!(
            a.authenticate(Some(&format!("Bearer {expired}"))),
            Err(AuthError::InvalidToken("the token has expired"))
        );
        let forged = jwt("carol", 60, "another-secret-another-secret-xx");
        assert!(a.authenticate(Some(&format!("Bearer {forged}"))).is_err());
        let slashy = jwt("../bob", 60, SECRET);
        assert!(a.authenticate(Some(&format!("Bearer {slashy}"))).is_err());
    }

    #[test]
    fn anonymous_only_when_configured() {
        assert_eq!(auth(true).authenticate(None).unwrap().as_str(), "anonymous");
        assert!(auth(true).authenticate(Some("Bearer nope")).is_err());
    }
}
