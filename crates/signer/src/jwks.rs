//! An identity provider's public signing keys, as a JSON Web Key Set
//! (RFC 7517): read once from `S3LIFT_JWKS_FILE`, or fetched from
//! `S3LIFT_JWKS_URL` (Auth0, Cognito, Keycloak, Entra and Google publish one)
//! and cached.
//!
//! Each key is bound to exactly one algorithm when it is loaded (RS256, ES256
//! or EdDSA, RFC 7518 §3.1 and RFC 8037): a token is checked only with a key
//! whose algorithm is the token's `alg`, so an RSA public key can never be
//! used as an HMAC secret ("alg confusion"). Symmetric (`oct`) keys and keys
//! marked `"use": "enc"` are never loaded.
//!
//! A token whose `kid` is not in the cache triggers one refetch, at most once
//! a minute: that picks up a rotated key at once, and a stream of made-up
//! `kid`s cannot turn the signer into a load generator against the IdP.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// The shortest time between two refetches caused by unknown `kid`s.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// Keys older than this are refetched on the next token, so a key the IdP
/// withdrew stops working within the hour even if no new `kid` shows up.
pub const MAX_KEY_AGE: Duration = Duration::from_secs(3600);
/// A key set larger than this is refused: real ones are a few KiB.
const MAX_JWKS_BYTES: usize = 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// One usable verification key and the one algorithm it verifies.
#[derive(Clone)]
pub struct VerifyKey {
    /// The algorithm this key is for; a token with another `alg` is refused.
    pub alg: Algorithm,
    /// The key itself.
    pub key: DecodingKey,
}

/// The keys of a JWKS document that this signer can use.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<(Option<String>, VerifyKey)>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<_> = self
            .keys
            .iter()
            .map(|(kid, k)| format!("{}:{:?}", kid.as_deref().unwrap_or("-"), k.alg))
            .collect();
        f.debug_struct("KeySet").field("keys", &kids).finish()
    }
}

/// Why a JWKS document cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwksError {
    /// Not `{"keys": [...]}`.
    #[error("not a JSON Web Key Set (expected {{\"keys\": [...]}})")]
    NotJwks,
    /// Valid JSON, but no RS256, ES256 or EdDSA signing key in it.
    #[error("no RS256, ES256 (P-256) or EdDSA (Ed25519) signing key in the set")]
    NoUsableKey,
    /// The fetch failed or answered an error.
    #[error("cannot fetch the key set: {0}")]
    Fetch(String),
}

/// What a lookup found.
pub enum Lookup {
    /// A key for this `kid` and `alg`.
    Found(VerifyKey),
    /// The `kid` exists, but its key is for another algorithm.
    WrongAlg,
    /// No such key.
    Unknown,
}

impl KeySet {
    /// Parses a JWKS document, keeping the keys usable for signatures and
    /// skipping the others (other curves, encryption keys, `oct` secrets).
    pub fn parse(json: &[u8]) -> Result<KeySet, JwksError> {
        #[derive(serde::Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc = serde_json::from_slice(json).map_err(|_| JwksError::NotJwks)?;
        let keys: Vec<_> = doc
            .keys
            .into_iter()
            .filter_map(|v| serde_json::from_value::<Jwk>(v).ok())
            .filter_map(|jwk| {
                let key = verify_key(&jwk)?;
                Some((jwk.common.key_id.clone(), key))
            })
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(KeySet { keys })
    }

    /// The key for a token's `kid` and `alg`. A token without a `kid` is
    /// accepted only when the set holds exactly one key for its `alg`.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Lookup {
        match kid {
            Some(kid) => match self.keys.iter().find(|(k, _)| k.as_deref() == Some(kid)) {
                Some((_, key)) if key.alg == alg => Lookup::Found(key.clone()),
                Some(_) => Lookup::WrongAlg,
                None => Lookup::Unknown,
            },
            None => {
                let mut same_alg = self.keys.iter().filter(|(_, k)| k.alg == alg);
                match (same_alg.next(), same_alg.next()) {
                    (Some((_, key)), None) => Lookup::Found(key.clone()),
                    _ => Lookup::Unknown,
                }
            }
        }
    }

    /// How many keys were loaded.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was loaded.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The one algorithm a JWK verifies: its `alg` when given, else the one its
/// key type implies. `None` for keys this signer does not accept.
fn verify_key(jwk: &Jwk) -> Option<VerifyKey> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        // `oct` keys are shared secrets: publishing one is a mistake, and
        // accepting one would let anyone who read the set mint tokens.
        _ => return None,
    };
    let declared = match jwk.common.key_algorithm {
        None => implied,
        Some(KeyAlgorithm::RS256) => Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => Algorithm::ES256,
        Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
        Some(_) => return None,
    };
    if declared != implied {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerifyKey { alg: declared, key })
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// `S3LIFT_JWKS_FILE`, read and checked at start.
    File {
        /// The file, for messages.
        path: String,
        /// Its keys.
        keys: KeySet,
    },
    /// `S3LIFT_JWKS_URL`, fetched on first use and on unknown `kid`s.
    Url(String),
}

struct FetchState {
    /// Whether the first load was tried; it does not count as a refresh.
    loaded: bool,
    /// The last refetch caused by an unknown `kid` or by age.
    last_refresh: Option<Instant>,
}

struct Cached {
    keys: Arc<KeySet>,
    /// When the keys were fetched; `None` for a file.
    fetched_at: Option<Instant>,
}

/// The cached key set of one source.
pub struct Jwks {
    url: Option<String>,
    cache: RwLock<Cached>,
    fetch: tokio::sync::Mutex<FetchState>,
    min_interval: Duration,
    http: reqwest::Client,
    fetches: AtomicU64,
}

impl Jwks {
    /// A cache for `source`, refreshing at most once per `min_interval`.
    pub fn new(source: &JwksSource, min_interval: Duration) -> Jwks {
        let (url, keys) = match source {
            JwksSource::File { keys, .. } => (None, keys.clone()),
            JwksSource::Url(u) => (Some(u.clone()), KeySet::default()),
        };
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .unwrap_or_default();
        Jwks {
            url,
            cache: RwLock::new(Cached {
                keys: Arc::new(keys),
                fetched_at: None,
            }),
            fetch: tokio::sync::Mutex::new(FetchState {
                loaded: false,
                last_refresh: None,
            }),
            min_interval,
            http,
            fetches: AtomicU64::new(0),
        }
    }

    /// How many fetches were made (for logs and tests).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The cached keys, and whether they are younger than [`MAX_KEY_AGE`].
    fn cached(&self) -> (Arc<KeySet>, bool) {
        let c = self.cache.read().unwrap_or_else(|p| p.into_inner());
        let fresh = c.fetched_at.is_some_and(|t| t.elapsed() < MAX_KEY_AGE);
        (c.keys.clone(), fresh)
    }

    /// The key for a token, fetching the set when the `kid` is unknown (or
    /// the keys are old) and the rate limit allows.
    pub async fn find(&self, kid: Option<&str>, alg: Algorithm) -> Lookup {
        let Some(url) = &self.url else {
            return self.cached().0.find(kid, alg);
        };
        let (keys, fresh) = self.cached();
        if fresh {
            match keys.find(kid, alg) {
                Lookup::Unknown => {}
                found => return found,
            }
        }
        // Waiting here while another task fetches is what makes a stampede
        // of unknown `kid`s cost one request to the IdP.
        let mut state = self.fetch.lock().await;
        let (keys, fresh) = self.cached();
        let lookup = keys.find(kid, alg);
        if fresh && !matches!(lookup, Lookup::Unknown) {
            return lookup;
        }
        let now = Instant::now();
        let allowed = !state.loaded
            || state
                .last_refresh
                .is_none_or(|t| now.duration_since(t) >= self.min_interval);
        if !allowed {
            return lookup;
        }
        if state.loaded {
            state.last_refresh = Some(now);
        }
        state.loaded = true;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        match self.download(url).await {
            Ok(set) => {
                tracing::info!(keys = set.len(), "identity provider keys fetched");
                *self.cache.write().unwrap_or_else(|p| p.into_inner()) = Cached {
                    keys: Arc::new(set),
                    fetched_at: Some(Instant::now()),
                };
            }
            Err(e) => tracing::warn!(error = %e, "identity provider keys could not be fetched"),
        }
        drop(state);
        self.cached().0.find(kid, alg)
    }

    async fn download(&self, url: &str) -> Result<KeySet, JwksError> {
        let fail = |e: &dyn fmt::Display| JwksError::Fetch(e.to_string());
        let mut res = self.http.get(url).send().await.map_err(|e| fail(&e))?;
        if !res.status().is_success() {
            return Err(JwksError::Fetch(format!("HTTP {}", res.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| fail(&e))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_JWKS_BYTES {
                return Err(JwksError::Fetch("the key set is larger than 1 MiB".into()));
            }
        }
        KeySet::parse(&body)
    }
}

#[cfg(test)]
mod tests;
