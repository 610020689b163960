//! The s3lift signer: a stateless actix-web service that authenticates a
//! caller, validates an upload, makes its object key and issues presigned
//! S3 URLs. It never moves file bytes. Any number of replicas can run behind
//! a load balancer: everything an upload needs later is in its key.
//!
//! - [`config`]: layered settings (TOML file, then `S3LIFT_*`), checked at start.
//! - [`auth`]: bearer tokens (HS256 JWT or a static table) → [`auth::Caller`].
//! - [`keys`]: `<prefix>/<caller>/<uuid>/<name>` keys that carry their approved plan.
//! - [`limits`]: the content-type allowlist.
//! - [`presign`]: SigV4 query presigning and POST policies.
//! - [`store`]: the store calls, through `aws-sdk-s3`.
//! - [`routes`]: the HTTP routes of `docs/protocol.md`.
//! - [`single_complete`]: `POST /s3/params/complete`, the end of a single-request upload.
//! - [`error`]: the one error type and its status codes.
//! - [`ratelimit`], [`metrics`], [`webhook`]: operations.
//! - [`app`]: building and running the server.
//! - [`dev`]: the embedded store behind `s3lift-signer dev`, its settings and its `Host` guard.
#![deny(missing_docs)]

pub mod app;
pub mod auth;
pub mod config;
pub mod dev;
pub mod error;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod presign;
pub mod ratelimit;
#[allow(missing_docs)]
pub mod routes;
pub mod single_complete;
pub mod store;
pub mod webhook;
