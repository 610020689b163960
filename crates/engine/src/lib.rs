//! The s3lift upload engine: every decision of an uploader with N files,
//! as a state machine with no I/O, no clock and no global randomness, in
//! the style of `quinn-proto` (QUIC without sockets).
//!
//! A driver (the browser client, or a native one) feeds [`Event`]s to
//! [`Engine::handle`] with the current time, drains [`Engine::poll_action`],
//! performs each [`Action`] and feeds back what happened, and ticks the
//! engine at [`Engine::poll_timeout`].
//!
//! ```
//! use s3lift_engine::{Action, Config, Engine, Event, FileId, FileSpec};
//!
//! let mut engine = Engine::new(Config { seed: 42, ..Config::default() });
//! let file = FileSpec {
//!     id: FileId(1),
//!     name: "cat.jpg".into(),
//!     size: 1234,
//!     content_type: "image/jpeg".into(),
//!     metadata: Default::default(),
//!     fingerprint: None,
//!     resume: None,
//!     relative_path: None,
//! };
//! engine.handle(0, Event::Add(file));
//! while let Some(action) = engine.poll_action() {
//!     match action {
//!         // Files added together are signed in one `POST /s3/params` call.
//!         Action::SignParamsBatch { id, files } => assert_eq!(files.len(), 1),
//!         other => unreachable!("{other:?}"),
//!     }
//! }
//! // The driver sends the call, then feeds the answer back with
//! // `engine.handle(now, Event::Signer { id, answer })`, and ticks the
//! // engine at `engine.poll_timeout()`.
//! assert_eq!(engine.poll_timeout(), Some(30_000)); // the signer call's deadline
//! ```
//!
//! - [`api`]: events, actions, and the ids that route answers back.
//! - [`engine`]: the request table, time, the shared AIMD limit, the entry point.
//! - [`config`]: settings and their defaults.
//! - [`error`]: the codes an upload fails with.
//! - [`url`]: presigned URLs, their expiry, and object locations.
//! - [`rng`]: the seedable jitter source.
//! - `file`: one file's state (single request or multipart).
//! - `schedule`: what runs now (signing windows, batching, the limit);
//!   `schedule/calls` issues a file's create, list, complete, abort and params calls.
//! - `answers`, `stored`, `failures`: what each answer changes; one retry policy
//!   (`answers/failed` routes each failed request to it).
//! - `control`: pause, resume, cancel (cancel aborts), failing a file.
//! - `network`: offline pauses everything and burns no retries; a
//!   suspended driver's late wake does not count towards deadlines.
//! - `confirm`: a stored single upload reported to the signer (its webhook).
//! - `digest`: per-part checksums, read and digested by the driver on request.
//! - `verify`: never resume onto a changed file (record, then stored parts' MD5).
//! - `deque`: the engine's queues (smaller in the bundle than std's `VecDeque`).
//!
//! The pure rules it applies (part plans, retry verdicts and backoff, the
//! limit, progress, the part collector, resume records) are
//! `s3lift_protocol`'s and are reused as they are.
#![deny(missing_docs)]
// No `std` outside tests: the browser bundle then carries no `std` panic
// machinery (its hook and `core::fmt`); native drivers link `std` themselves.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

mod ahead;
mod answers;
pub mod api;
pub mod config;
mod confirm;
mod control;
mod deque;
mod digest;
pub mod engine;
pub mod error;
mod failure;
mod failures;
mod file;
mod network;
pub mod rng;
mod schedule;
mod stored;
pub mod url;
mod vecmap;
mod verify;

#[cfg(test)]
mod rule_tests;

pub use api::{
    Action, Event, Failure, FileId, FileSpec, Outcome, RequestId, Restart, SignerAnswer,
};
pub use config::Config;
pub use engine::Engine;
pub use error::UploadError;

/// `concat` of string slices, for messages and URLs: std's `concat` goes
/// through the generic `join` (its separator and overflow checks cost the
/// browser bundle a few hundred bytes).
pub trait Cat {
    /// The slices one after another.
    fn cat(&self) -> alloc::string::String;
}

impl Cat for [&str] {
    fn cat(&self) -> alloc::string::String {
        let mut out = alloc::string::String::with_capacity(self.iter().map(|s| s.len()).sum());
        for s in self {
            out.push_str(s);
        }
        out
    }
}

/// Takes every `id` out of `list`, keeping the order (`retain`, without its
/// instance); answers whether one was there.
pub(crate) fn take_id(list: &mut alloc::vec::Vec<api::FileId>, id: api::FileId) -> bool {
    let mut found = false;
    while let Some(i) = list.iter().position(|x| *x == id) {
        s3lift_protocol::remove_at(list, i);
        found = true;
    }
    found
}

#[cfg(test)]
mod cat_tests {
    use super::Cat;

    #[test]
    fn cat_is_concat() {
        assert_eq!(["a", "", "bc", "ü"].cat(), ["a", "", "bc", "ü"].concat());
        assert_eq!(<[&str]>::cat(&[]), "");
    }
}
