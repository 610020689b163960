//! The s3lift signer: a stateless actix-web service that authenticates a
//! caller, validates an upload, makes its object key and issues presigned
//! S3 URLs. It never moves file bytes. Any number of replicas can run behind
//! a load balancer: everything an upload needs later is in its key.
//!
//! - [`config`]: layered settings (TOML file, then `S3LIFT_*`), checked at start.
//! - [`auth`]: bearer tokens (HS256 JWT or a static table) → [`domain::Caller`].
//! - [`domain`]: values parsed once at the edge (`Caller`, `UploadId`).
//! - [`keys`]: `<prefix>/<caller>/<uuid>.<tag>/<name>` keys that carry their approved
//!   plan, authenticated by an HMAC under `S3LIFT_KEY_SECRET`.
//! - [`unsized_parts`]: `size_required`, and the bounds of the Companion
//!   compatibility mode for multipart uploads without a size.
//! - [`content_type`]: strict RFC 9110 content types, signed in canonical form.
//! - [`limits`]: the content-type allowlist, and active content as attachments.
//! - [`jwks`]: an identity provider's keys (RS256, ES256, EdDSA), cached.
//! - [`cookie`]: the token from a header or the auth cookie, with the Origin check.
//! - [`presign`]: SigV4 query presigning and POST policies.
//! - [`store`]: the store calls, through `aws-sdk-s3`.
//! - [`routes`]: the HTTP routes of `docs/protocol.md`.

//! - [`commands`]: the binary's subcommands (`serve`, `dev`, `bucket setup`).
//! - [`completion`]: the rules an upload must meet at complete, as a pure function.
//! - [`error`]: the one error type and its status codes.
//! - [`openapi`]: the OpenAPI document, generated from the wire types.
//! - [`ratelimit`], [`metrics`], [`webhook`]: operations.
//! - [`app`]: building and running the server.
//! - [`dev`]: the embedded store behind `s3lift-signer dev`, its settings and its `Host` guard.
#![deny(missing_docs)]

pub mod app;
pub mod auth;
pub mod commands;
pub mod completion;
pub mod config;
pub mod content_type;
pub mod cookie;
pub mod dev;
pub mod doctor;
pub mod domain;
pub mod error;
pub mod jwks;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod presign;
pub mod ratelimit;
pub mod routes;

pub mod store;
#[cfg(test)]
mod test_keys;
pub mod unsized_parts;
pub mod webhook;
