//! Store requests: a part `PUT`, or a single upload (`PUT`, or a `POST`
//! form), with the bytes streamed from disk. A body is read in chunks of
//! [`CHUNK`] bytes from an opened, seeked file, so memory does not grow
//! with the file: a whole file is never read.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use s3lift_engine::Failure;
use s3lift_protocol::wire::{UploadMethod, UploadParams};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Bytes read from disk per body chunk.
pub const CHUNK: usize = 256 * 1024;

/// Called with the bytes of the body handed to the connection so far.
pub type OnSent = Arc<dyn Fn(u64) + Send + Sync>;

/// Where a body's bytes come from.
struct Range {
    path: PathBuf,
    /// The file's size when it was listed: another size means it changed.
    size: u64,
    file: Option<tokio::fs::File>,
    start: u64,
    left: u64,
    sent: u64,
    on_sent: OnSent,
    /// Why the file could not be read, for the request's outcome.
    read_error: Arc<Mutex<Option<String>>>,
}

impl Range {
    fn fail(mut self, e: std::io::Error) -> Option<(std::io::Result<Bytes>, Range)> {
        self.left = 0;
        let why = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "it changed during the upload".to_owned(),
            kind => kind.to_string(),
        };
        if let Ok(mut slot) = self.read_error.lock() {
            slot.get_or_insert(why);
        }
        Some((Err(e), self))
    }
}

async fn next_chunk(mut r: Range) -> Option<(std::io::Result<Bytes>, Range)> {
    if r.left == 0 {
        return None;
    }
    if r.file.is_none() {
        let opened = async {
            let mut f = tokio::fs::File::open(&r.path).await?;
            if f.metadata().await?.len() != r.size {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            f.seek(std::io::SeekFrom::Start(r.start)).await?;
            Ok::<_, std::io::Error>(f)
        };
        match opened.await {
            Ok(f) => r.file = Some(f),
            Err(e) => return r.fail(e),
        }
    }
    let want = (r.left as usize).min(CHUNK);
    let mut buf = vec![0u8; want];
    let file = r.file.as_mut()?;
    let got = match file.read(&mut buf).await {
        Ok(0) => Err(std::io::ErrorKind::UnexpectedEof.into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e),
    };
    match got {
        Ok(n) => {
            buf.truncate(n);
            r.left -= n as u64;
            r.sent += n as u64;
            (r.on_sent)(r.sent);
            Some((Ok(Bytes::from(buf)), r))
        }
        // The file shrank or could not be read: the request fails.
        Err(e) => r.fail(e),
    }
}

/// The file a request reads.
pub struct Source<'a> {
    pub path: &'a Path,
    /// Its size when it was listed.
    pub size: u64,
    pub on_sent: OnSent,
}

/// A body of bytes `start..end` of the source, read as it is sent, and
/// where a read failure is noted.
fn body(src: Source<'_>, start: u64, end: u64) -> (reqwest::Body, Arc<Mutex<Option<String>>>) {
    let read_error = Arc::new(Mutex::new(None));
    let range = Range {
        path: src.path.to_owned(),
        size: src.size,
        file: None,
        start,
        left: end.saturating_sub(start),
        sent: 0,
        on_sent: src.on_sent,
        read_error: read_error.clone(),
    };
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(range, next_chunk));
    (body, read_error)
}

fn with_headers(
    mut req: reqwest::RequestBuilder,
    headers: impl IntoIterator<Item = (String, String)>,
) -> reqwest::RequestBuilder {
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            req = req.header(k, v);
        }
    }
    req
}

/// How a store request ended.
pub enum Stored {
    /// 2xx, with the `ETag` header when there was one.
    Ok(Option<String>),
    /// The store refused it, or could not be reached.
    Failed(Failure),
    /// The file could not be read (why, without its path).
    Unreadable(String),
}

async fn answer(req: reqwest::RequestBuilder, read_error: Arc<Mutex<Option<String>>>) -> Stored {
    let sent = req.send().await;
    if let Some(why) = read_error.lock().ok().and_then(|mut e| e.take()) {
        return Stored::Unreadable(why);
    }
    let res = match sent {
        Ok(r) => r,
        Err(_) => return Stored::Failed(Failure::network()),
    };
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header("etag");
    let retry_after = header("retry-after");
    if (200..300).contains(&status) {
        // Read the (empty) body so the connection can be reused.
        let _ = res.bytes().await;
        return Stored::Ok(etag);
    }
    let text = res.text().await.unwrap_or_default();
    Stored::Failed(Failure::from_store(status, &text, retry_after.as_deref()))
}

/// `PUT` bytes `start..end` of `path` to a part URL, with the signed headers.
pub async fn send_part(
    http: &reqwest::Client,
    url: &str,
    headers: Vec<(String, String)>,
    src: Source<'_>,
    (start, end): (u64, u64),
) -> Stored {
    let (body, read_error) = body(src, start, end);
    let req = with_headers(http.put(url), headers)
        // A set length (not chunked): the store needs it, and it may be signed.
        .header(CONTENT_LENGTH, end - start)
        .body(body);
    answer(req, read_error).await
}

/// The whole file as `params` say: a `PUT` with the signed headers, or a
/// `POST` form with the signed fields and the file last.
pub async fn send_single(http: &reqwest::Client, params: UploadParams, src: Source<'_>) -> Stored {
    let (size, path) = (src.size, src.path);
    let (body, read_error) = body(src, 0, size);
    let req = match params.method {
        UploadMethod::Put => with_headers(http.put(&params.url), params.headers)
            .header(CONTENT_LENGTH, size)
            .body(body),
        UploadMethod::Post => {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in params.fields {
                form = form.text(k, v);
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            let part = reqwest::multipart::Part::stream_with_length(body, size).file_name(name);
            http.post(&params.url).multipart(form.part("file", part))
        }
    };
    answer(req, read_error).await
}

/// The CRC64NVME of bytes `start..end` of `path`, base64 as S3 wants it.
/// An error when the file is shorter than the range.
pub fn crc64_of(path: &Path, start: u64, end: u64) -> std::io::Result<String> {
    use s3lift_protocol::crc64;
    let mut crc = crc64::Crc64::new();
    read_range(path, start, end, |b| crc.update(b))?;
    Ok(crc64::to_base64(crc.value()))
}

/// The MD5 of bytes `start..end` of `path`, hex as an ETag holds it (a
/// resumed upload checks its stored parts against the file with it).
pub fn md5_of(path: &Path, start: u64, end: u64) -> std::io::Result<String> {
    let mut md5 = s3lift_protocol::md5::Md5::default();
    read_range(path, start, end, |b| md5.update(b))?;
    Ok(md5.hex())
}

/// Feeds bytes `start..end` of `path` to `f`, in 1 MiB chunks.
fn read_range(path: &Path, start: u64, end: u64, mut f: impl FnMut(&[u8])) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut left = end - start;
    let mut buf = vec![0u8; 1 << 20];
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        file.read_exact(&mut buf[..want])?;
        f(&buf[..want]);
        left -= want as u64;
    }
    Ok(())
}
