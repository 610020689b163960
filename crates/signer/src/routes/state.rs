//! What every handler shares: validated settings, the store, caches.

use crate::auth::Authenticator;
use crate::config::Settings;
use crate::keys::KeyIssuer;
use crate::metrics::Metrics;
use crate::presign::BucketUrl;
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use crate::unsized_parts::UnsizedParts;
use crate::webhook::Webhook;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Everything the handlers share. Nothing in it is per-upload state: the
/// verified-uploads set is a cache any replica can rebuild from the store.
pub struct AppState {
    /// Validated settings.
    pub settings: Settings,
    /// Bearer token checks.
    pub auth: Authenticator,
    /// The store client.
    pub store: Store,
    /// How object URLs look.
    pub url: BucketUrl,
    /// Per-caller limiter, when configured.
    pub limiter: Option<RateLimiter>,
    /// `(upload id, key)` pairs recently seen alive in the store.
    pub verified: VerifiedUploads,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Completion webhook, when configured.
    pub webhook: Option<Webhook>,
    /// Makes keys and checks their tags (`S3LIFT_KEY_SECRET`).
    pub keys: KeyIssuer,
    /// The bounds on uploads created without a size, when they are allowed.
    pub unsized_parts: Option<UnsizedParts>,
    /// What the store supports (POST forms, checksums), settled at start.
    pub features: crate::doctor::StoreFeatures,
}

/// A bounded cache of multipart uploads known to exist for a key, so that
/// signing a part does not cost a store round trip each time.
pub struct VerifiedUploads {
    pub(crate) ttl: Duration,
    pub(crate) entries: Mutex<HashMap<(String, String), Instant>>,
}

pub(crate) const VERIFIED_CAPACITY: usize = 50_000;

impl VerifiedUploads {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        VerifiedUploads {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn contains(&self, upload_id: &str, key: &str) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&(upload_id.to_owned(), key.to_owned()))
            .is_some_and(|t| t.elapsed() < self.ttl)
    }

    pub(crate) fn insert(&self, upload_id: &str, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= VERIFIED_CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, t| t.elapsed() < ttl);
            if entries.len() >= VERIFIED_CAPACITY {
                entries.clear();
            }
        }
        entries.insert((upload_id.to_owned(), key.to_owned()), Instant::now());
    }

    pub(crate) fn remove(&self, upload_id: &str, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&(upload_id.to_owned(), key.to_owned()));
    }
}
