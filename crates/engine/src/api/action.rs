//! What the engine asks of its driver: [`Action`], one signer call, store
//! request, digest or report at a time, each signer call or store request
//! carrying the [`RequestId`] its answer must name.

use alloc::{string::String, vec::Vec};

use s3lift_protocol::progress::Progress;
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{
    ChecksumAlgorithm, ChecksumList, CompletedPart, CreateMultipartRequest, ParamsQuery,
    UploadMethod, UploadParams,
};

use super::{FileId, Outcome, RequestId, Restart};
use crate::error::UploadError;

/// One file of a `POST /s3/params` batch (extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamsRequest {
    /// The file this item is for.
    pub file: FileId,
    /// The query of the one-file route.
    pub query: ParamsQuery,
    /// `POST` forms need no CORS preflight (a `PUT` does): one request instead of two.
    pub method: UploadMethod,
}

/// What the driver must do.
///
/// `repr(u32)`: a plain tag word, not a niche in a field (the bundle's
/// matches, drops and constructions of it test one word).
#[derive(Debug, Clone, PartialEq)]
#[repr(u32)]
pub enum Action {
    /// `POST /s3/params` for many files; answer with
    /// [`SignerAnswer::ParamsBatch`](super::SignerAnswer::ParamsBatch).
    SignParamsBatch {
        /// The request.
        id: RequestId,
        /// The files, in order.
        files: Vec<ParamsRequest>,
    },
    /// `GET /s3/params` for one file.
    SignParams {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// The query.
        query: ParamsQuery,
    },
    /// `POST /s3/multipart`.
    CreateMultipart {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// The body.
        request: CreateMultipartRequest,
        /// The part size the app prefers (`partSize` extension).
        part_size: Option<u64>,
        /// Ask for the URLs of parts 1 to n in the answer (`signParts`
        /// extension); `None` when the parts need digests first.
        sign_parts: Option<u32>,
    },
    /// `GET /s3/multipart/{upload_id}/batch?key=&partNumbers=`.
    SignParts {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// Upload id.
        upload_id: String,
        /// Object key.
        key: String,
        /// Part numbers, ascending.
        parts: Vec<u32>,
        /// With checksums on: one digest per part, same order (`checksums=`).
        checksums: Option<ChecksumList>,
    },
    /// Read bytes `start..end` of the file and digest them (checksums on):
    /// the part URL is signed for that digest, so the store refuses other bytes.
    Digest {
        /// The file.
        file: FileId,
        /// Part number.
        part: u32,
        /// First byte (inclusive).
        start: u64,
        /// Last byte (exclusive).
        end: u64,
        /// The digest to compute.
        algorithm: ChecksumAlgorithm,
    },
    /// `GET /s3/multipart/{upload_id}/{part}?key=` (peers without the batch route).
    SignPart {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// Upload id.
        upload_id: String,
        /// Object key.
        key: String,
        /// Part number.
        part: u32,
    },
    /// `GET /s3/multipart/{upload_id}?key=`, all pages.
    ListParts {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// Upload id.
        upload_id: String,
        /// Object key.
        key: String,
    },
    /// `POST /s3/multipart/{upload_id}/complete?key=`, or with `in_body`
    /// `POST /s3/multipart/complete` with `uploadId` and `key` in the body.
    Complete {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// Upload id.
        upload_id: String,
        /// Object key.
        key: String,
        /// Every part stored, sorted; none missing but `pending`.
        parts: Vec<CompletedPart>,
        /// Parts sent whose answers have not come (a complete ahead of
        /// them, `pending` of our signer's complete); empty otherwise.
        pending: Vec<u32>,
        /// The whole file's CRC64NVME (`checksumCrc64nvme`), combined from
        /// the parts' digests, when parts carry CRC64NVME checksums.
        checksum: Option<String>,
        /// To the in-body route (our signer's extension): one URL for every
        /// upload, so the browser's CORS preflight of it is cached.
        in_body: bool,
    },
    /// `DELETE /s3/multipart/{upload_id}?key=`.
    Abort {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// Upload id.
        upload_id: String,
        /// Object key.
        key: String,
    },
    /// `POST /s3/params/complete` with `{"keys": [...]}` (extension): single
    /// uploads are stored; the signer checks each object and fires its
    /// webhook. Answer with [`SignerAnswer::Confirmed`](super::SignerAnswer::Confirmed),
    /// one entry per key.
    Confirm {
        /// The request.
        id: RequestId,
        /// The files, in the order of `keys`.
        files: Vec<FileId>,
        /// Their object keys (1 to 100).
        keys: Vec<String>,
    },
    /// Send the whole file as `params` say (PUT, or POST form with `file` last).
    SendSingle {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// Signed params (URL: a bearer credential, never log it).
        params: UploadParams,
    },
    /// `PUT` bytes `start..end` of the file to `url`.
    SendPart {
        /// The request.
        id: RequestId,
        /// The file.
        file: FileId,
        /// Part number.
        part: u32,
        /// Presigned URL (a bearer credential, never log it).
        url: String,
        /// Headers the URL's signature covers.
        headers: Vec<(String, String)>,
        /// First byte (inclusive).
        start: u64,
        /// Last byte (exclusive).
        end: u64,
    },
    /// Stop request `id` (pause, cancel, or no answer in time); its answer is ignored.
    CancelRequest {
        /// The request.
        id: RequestId,
    },
    /// Persist `record` under its fingerprint.
    SaveResume {
        /// The file.
        file: FileId,
        /// The record.
        record: ResumeRecord,
    },
    /// Forget the record stored under `fingerprint`.
    ForgetResume {
        /// The file.
        file: FileId,
        /// The storage key.
        fingerprint: String,
    },
    /// The file starts over: the store's parts are of other bytes (the
    /// earlier upload is being aborted). The driver says so in the row.
    Restarted {
        /// The file.
        file: FileId,
        /// Why.
        reason: Restart,
    },
    /// Byte progress of one file.
    Progress {
        /// The file.
        file: FileId,
        /// The snapshot.
        progress: Progress,
    },
    /// A part is stored (`onPartUploaded`).
    PartStored {
        /// The file.
        file: FileId,
        /// Part number.
        part: u32,
        /// Its ETag.
        etag: String,
        /// Its length.
        size: u64,
    },
    /// The file is done, one way or the other; nothing more comes for it.
    Finished {
        /// The file.
        file: FileId,
        /// The stored object, or why not.
        result: Result<Outcome, UploadError>,
    },
}
