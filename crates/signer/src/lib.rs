//! The s3lift signer: a stateless actix-web service that authenticates a
//! caller, validates an upload, makes its object key and issues presigned
//! S3 URLs. It never moves file bytes. Any number of replicas can run behind
//! a load balancer: everything an upload needs later is in its key.
//!
//! - [`config`]: layered settings (TOML file, then `S3LIFT_*`), checked at start.
//! - [`auth`]: tokens (JWT or a static table) → [`auth::Caller`].
//! - [`jwks`]: an identity provider's keys (RS256, ES256, EdDSA), cached.
//! - [`cookie`]: the token from a header or the auth cookie, with the Origin check.
//! - [`keys`]: `<prefix>/<caller>/<uuid>/<name>` keys that carry their approved plan.
//! - [`limits`]: the content-type allowlist.
//! - [`presign`]: SigV4 query presigning and POST policies.
//! - [`store`]: the store calls, through `aws-sdk-s3`.
//! - [`routes`]: the HTTP routes of `docs/protocol.md`.
//! - [`error`]: the one error type and its status codes.
//! - [`ratelimit`], [`metrics`], [`webhook`]: operations.
//! - [`app`]: building and running the server.
//! - [`dev`]: the embedded store behind `s3lift-signer dev`.
#![deny(missing_docs)]

pub mod app;
pub mod auth;
pub mod config;
pub mod cookie;
pub mod dev;
pub mod error;
pub mod jwks;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod presign;
pub mod ratelimit;
#[allow(missing_docs)]
pub mod routes;
pub mod store;
#[cfg(test)]
mod test_keys;
pub mod webhook;
