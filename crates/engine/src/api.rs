//! What a driver feeds the engine ([`Event`]) and what it gets back
//! ([`Action`]), with the identifiers that route answers to their requests.
//!
//! This module holds the ids, the files, the events, the signer's answers
//! and the outcome; the actions are in `action`.

use alloc::{string::String, vec::Vec};

use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{
    BatchSignResponse, CompleteResponse, CreateMultipartResponse, ErrorBody, ListedPart, Map,
    SignedPart, SingleCompleteResponse, UploadParams,
};

pub use crate::failure::Failure;

mod action;

pub use self::action::{Action, ParamsRequest};

/// A file, named by the driver (it holds the file's bytes under this id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u64);

/// One request the engine asked for; its answer must carry the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// A file to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpec {
    /// The driver's name for it; must not repeat among live files.
    pub id: FileId,
    /// The name the user picked (the signer sanitizes it into the key).
    pub name: String,
    /// Exact size in bytes.
    pub size: u64,
    /// The declared content type.
    pub content_type: String,
    /// User metadata for a multipart upload (`x-amz-meta-*`).
    pub metadata: Map<String>,
    /// The file's fingerprint; when set, multipart uploads save resume records.
    pub fingerprint: Option<String>,
    /// A record saved by an earlier page for this fingerprint.
    pub resume: Option<ResumeRecord>,
    /// The file's path inside a picked folder, its name included; sent as
    /// `relativePath` so the key keeps the folders.
    pub relative_path: Option<String>,
}

/// A typed answer of the signer (docs/protocol.md), decoded by the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum SignerAnswer {
    /// `GET /s3/params`.
    Params(UploadParams),
    /// `POST /s3/params`: one item per file, in order.
    ParamsBatch(Vec<Result<UploadParams, ErrorBody>>),
    /// `POST /s3/multipart`.
    Created(CreateMultipartResponse),
    /// `GET /s3/multipart/{id}/batch`.
    Parts(BatchSignResponse),
    /// `GET /s3/multipart/{id}/{n}`.
    Part(SignedPart),
    /// `GET /s3/multipart/{id}` (all pages).
    Listed(Vec<ListedPart>),
    /// `POST /s3/multipart/{id}/complete`.
    Completed(CompleteResponse),
    /// `DELETE /s3/multipart/{id}`.
    Aborted,
    /// `POST /s3/params/complete`: each object as the signer checked it, or
    /// its key's error, in the order of the keys.
    Confirmed(Vec<Result<SingleCompleteResponse, ErrorBody>>),
}

/// Everything that happens to the engine.
///
/// `repr(u32)`: a plain tag word, as [`Action`]'s.
#[derive(Debug, Clone, PartialEq)]
#[repr(u32)]
pub enum Event {
    /// A file to upload.
    Add(FileSpec),
    /// The signer answered request `id`.
    Signer {
        /// The request.
        id: RequestId,
        /// Its decoded answer.
        answer: SignerAnswer,
    },
    /// The store took a single upload or a part (2xx).
    Stored {
        /// The request.
        id: RequestId,
        /// The `ETag` header, when readable (CORS must expose it).
        etag: Option<String>,
    },
    /// A data request has sent `bytes` of its body so far.
    Sent {
        /// The request.
        id: RequestId,
        /// Bytes sent by this attempt.
        bytes: u64,
    },
    /// Request `id` failed.
    Failed {
        /// The request.
        id: RequestId,
        /// How.
        failure: Failure,
    },
    /// The digest asked for by [`Action::Digest`]; `None` when the file
    /// could not be read.
    Digested {
        /// The file.
        file: FileId,
        /// Part number.
        part: u32,
        /// Base64 digest.
        value: Option<String>,
    },
    /// Pause one file: its data requests stop, the rest waits.
    Pause(FileId),
    /// Continue a paused file.
    Resume(FileId),
    /// Stop one file for good; a multipart upload is aborted.
    Cancel(FileId),
    /// The network is gone (the browser's `offline` event): every upload
    /// pauses, and failures without an answer burn no retries until
    /// [`Event::Online`].
    Offline,
    /// The network is back: every upload continues.
    Online,
    /// Time passed (nothing else happened).
    Tick,
}

/// Why a file's upload started over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// The file is not the one whose parts the store holds: its name, size,
    /// `lastModified` or type differ from the record's, or the bytes of its
    /// first or last stored part do not hash to the ETag the store listed.
    FileChanged,
}

impl Restart {
    /// The name drivers show (`restarted: 'file_changed'`).
    pub fn as_str(self) -> &'static str {
        match self {
            Restart::FileChanged => "file_changed",
        }
    }
}

/// A stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Object key.
    pub key: String,
    /// Bucket, when the signer said.
    pub bucket: Option<String>,
    /// Object URL, when known.
    pub location: Option<String>,
    /// Object ETag, when known.
    pub etag: Option<String>,
    /// The upload continued one an earlier page started.
    pub resumed: bool,
    /// The upload started over instead of continuing, and why.
    pub restarted: Option<Restart>,
    /// The signer checked the stored object and sent its `upload.completed`
    /// webhook (a multipart complete, or a confirmed single upload). False
    /// against Companion, or when the confirmation kept failing.
    pub confirmed: bool,
    /// The whole object's CRC64NVME as the store holds it, when the upload
    /// carried one and the signer read it back.
    pub checksum: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3lift_protocol::retry::Verdict;

    #[test]
    fn failures_classify_by_the_shared_rule() {
        assert_eq!(
            Failure::network().verdict(),
            Verdict::Retry { throttled: false }
        );
        assert!(Failure::network().maybe_applied());
        let slow = Failure::from_store(503, "<Error><Code>SlowDown</Code></Error>", Some("2"));
        assert_eq!(slow.verdict(), Verdict::Retry { throttled: true });
        assert_eq!(slow.code.as_deref(), Some("SlowDown"));
        assert_eq!(slow.retry_after_ms, Some(2000));
        assert!(!slow.maybe_applied());
        let old = Failure::from_store(400, "<Code>InvalidRequest</Code> Date is too old", None);
        assert_eq!(old.verdict(), Verdict::Resign);
        let body = ErrorBody {
            error: "no".into(),
            code: "too_large".into(),
        };
        let f = Failure::from_signer(413, Some(&body), None);
        assert_eq!(f.verdict(), Verdict::Fail);
        assert_eq!(f.code.as_deref(), Some("too_large"));
    }
}
