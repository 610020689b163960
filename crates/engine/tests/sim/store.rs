//! The simulated store and signer: objects as lists of (file, offset, len)
//! ranges, open multipart uploads, and the S3 rules checked at complete.

use std::collections::BTreeMap;

use s3lift_engine::FileId;
use s3lift_protocol::plan::{MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};
use s3lift_protocol::wire::CompletedPart;

/// Bytes `start..end` of `file`.
pub type Range = (FileId, u64, u64);

/// One open multipart upload.
#[derive(Debug)]
pub struct OpenUpload {
    pub key: String,
    pub file: FileId,
    pub size: u64,
    /// The signer's plan, when it made one.
    pub part_size: Option<u64>,
    /// part → (range, etag).
    pub parts: BTreeMap<u32, (Range, String)>,
}

/// The bucket.
#[derive(Debug, Default)]
pub struct Store {
    pub objects: BTreeMap<String, Vec<Range>>,
    pub uploads: BTreeMap<String, OpenUpload>,
    next: u64,
}

impl Store {
    pub fn new_name(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    pub fn put_part(&mut self, upload: &str, part: u32, range: Range) -> Option<String> {
        let u = self.uploads.get_mut(upload)?;
        // Like S3: the ETag is the content's digest, so a re-sent part keeps it.
        let etag = format!("\"{}-{}-{}\"", range.0 .0, range.1, range.2);
        u.parts.insert(part, (range, etag.clone()));
        Some(etag)
    }

    /// Our signer's complete with `pending` parts: `parts` with those the
    /// store holds, with the store's ETags, sorted; `Err` while one is
    /// missing. An upload that is gone has nothing to wait for (its complete
    /// answers `no_such_upload`).
    pub fn with_pending(
        &self,
        upload: &str,
        mut parts: Vec<CompletedPart>,
        pending: &[u32],
    ) -> Result<Vec<CompletedPart>, ()> {
        let Some(u) = self.uploads.get(upload) else {
            return Ok(parts);
        };
        for n in pending {
            let (_, etag) = u.parts.get(n).ok_or(())?;
            parts.push(CompletedPart {
                part_number: *n,
                etag: etag.clone(),
            });
        }
        parts.sort_by_key(|p| p.part_number);
        Ok(parts)
    }

    /// CompleteMultipartUpload: S3's rules, plus the simulator's own (the
    /// parts tile the file exactly, in order, as the plan says).
    pub fn complete(&mut self, upload: &str, parts: &[CompletedPart]) -> Result<String, String> {
        let Some(u) = self.uploads.get(upload) else {
            return Err("no_such_upload".into());
        };
        if parts.is_empty() || parts.len() > MAX_PARTS as usize {
            return Err(format!("{} parts at complete", parts.len()));
        }
        let mut ranges = Vec::with_capacity(parts.len());
        let mut offset = 0;
        let first_len = u.parts.get(&parts[0].part_number).map(|p| p.0 .2 - p.0 .1);
        let part_size = u.part_size.or(first_len).unwrap_or(0);
        for (i, p) in parts.iter().enumerate() {
            let want = i as u32 + 1;
            if p.part_number != want {
                return Err(format!(
                    "part {} where part {want} belongs (gap or duplicate)",
                    p.part_number
                ));
            }
            let Some((range, etag)) = u.parts.get(&p.part_number) else {
                return Err(format!("part {want} was never stored"));
            };
            if *etag != p.etag {
                return Err(format!(
                    "part {want}: ETag {} is not the stored {etag}",
                    p.etag
                ));
            }
            let len = range.2 - range.1;
            let last = i + 1 == parts.len();
            if range.0 != u.file || range.1 != offset {
                return Err(format!(
                    "part {want} holds {range:?}, expected offset {offset} of {:?}",
                    u.file
                ));
            }
            if !last && (len != part_size || !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&len)) {
                return Err(format!(
                    "part {want} has {len} bytes, plan says {part_size}"
                ));
            }
            if last && (len > part_size || len == 0) {
                return Err(format!(
                    "last part {want} has {len} bytes (part size {part_size})"
                ));
            }
            offset += len;
            ranges.push(*range);
        }
        if offset != u.size {
            return Err(format!(
                "parts hold {offset} bytes, the file has {}",
                u.size
            ));
        }
        let u = self.uploads.remove(upload).expect("checked above");
        self.objects.insert(u.key.clone(), merge(ranges));
        Ok(u.key)
    }
}

/// Adjacent ranges of one file, merged (a whole file is one range).
pub fn merge(ranges: Vec<Range>) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(l) if l.0 == r.0 && l.2 == r.1 => l.2 = r.2,
            _ => out.push(r),
        }
    }
    out
}

/// Simulated URLs: `s://p/{upload}/{part}/{expires_at}` for parts,
/// `s://o/{expires_at}/{key}` for a single PUT, `s://bucket/` plus fields for a POST.
pub fn part_url(upload: &str, part: u32, exp: u64) -> String {
    format!("s://p/{upload}/{part}/{exp}")
}

/// (upload, part, expiry, the checksum the URL is bound to).
pub fn parse_part_url(url: &str) -> Option<(String, u32, u64, Option<String>)> {
    let mut it = url.strip_prefix("s://p/")?.split('/');
    let upload = it.next()?.to_owned();
    let part = it.next()?.parse().ok()?;
    let exp = it.next()?.parse().ok()?;
    Some((upload, part, exp, it.next().map(str::to_owned)))
}

/// The simulated digest of bytes `start..end` of `file`.
pub fn digest(file: FileId, start: u64, end: u64) -> String {
    format!("d{}-{start}-{end}", file.0)
}

pub fn single_url(key: &str, exp: u64) -> String {
    format!("s://o/{exp}/{key}")
}

pub fn parse_single_url(url: &str) -> Option<(String, u64)> {
    let (exp, key) = url.strip_prefix("s://o/")?.split_once('/')?;
    Some((key.to_owned(), exp.parse().ok()?))
}
