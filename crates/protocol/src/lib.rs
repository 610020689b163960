//! Wire types and pure upload logic shared by the s3lift client and signer.
//!
//! Nothing here does I/O, so all of it is tested natively with plain
//! `cargo test` and compiles unchanged to `wasm32-unknown-unknown`.
//!
//! - [`wire`]: the JSON bodies of `docs/protocol.md` (Companion's S3 routes
//!   plus our extensions).
//! - [`error_code`]: the one [`ErrorCode`](error_code::ErrorCode) enum of signer and client.
//! - [`plan`]: S3 multipart part planning (5 MiB ≤ part ≤ 5 GiB, ≤ 10,000 parts).
//! - [`sanitize`]: turning a user's file name into a safe key segment.
//! - [`retry`]: which answers are retried, the backoff schedule, the
//!   adaptive concurrency limit.
//! - [`progress`]: byte progress, speed and ETA.
//! - [`collector`]: gathering `(part number, ETag)` in any order.
//! - [`resume`]: the record that lets an upload resume after a page reload.
#![deny(missing_docs)]

pub mod collector;
pub mod crc64;
pub mod error_code;
pub mod plan;
pub mod progress;
pub mod resume;
pub mod retry;
pub mod sanitize;
pub mod wire;
