//! Store requests: a part `PUT`, or a single upload (`PUT`, or a `POST`
//! form), with the bytes streamed from disk. A body is read in chunks of
//! [`CHUNK`] bytes from an opened, seeked file, so memory does not grow
//! with the file: a whole file is never read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    file: Option<tokio::fs::File>,
    start: u64,
    left: u64,
    sent: u64,
    on_sent: OnSent,
}

async fn next_chunk(mut r: Range) -> Option<(std::io::Result<Bytes>, Range)> {
    if r.left == 0 {
        return None;
    }
    if r.file.is_none() {
        let opened = async {
            let mut f = tokio::fs::File::open(&r.path).await?;
            f.seek(std::io::SeekFrom::Start(r.start)).await?;
            Ok::<_, std::io::Error>(f)
        };
        match opened.await {
            Ok(f) => r.file = Some(f),
            Err(e) => {
                r.left = 0;
                return Some((Err(e), r));
            }
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
        Err(e) => {
            // The file shrank or could not be read: the request fails.
            r.left = 0;
            Some((Err(e), r))
        }
    }
}

/// A body of bytes `start..end` of `path`, read as it is sent.
fn body(path: &Path, start: u64, end: u64, on_sent: OnSent) -> reqwest::Body {
    let range = Range {
        path: path.to_owned(),
        file: None,
        start,
        left: end.saturating_sub(start),
        sent: 0,
        on_sent,
    };
    reqwest::Body::wrap_stream(futures_util::stream::unfold(range, next_chunk))
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

/// What the store answered: its `ETag`, or the failure.
pub type Stored = Result<Option<String>, Failure>;

async fn answer(req: reqwest::RequestBuilder) -> Stored {
    let res = match req.send().await {
        Ok(r) => r,
        Err(_) => return Err(Failure::network()),
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
        return Ok(etag);
    }
    let text = res.text().await.unwrap_or_default();
    Err(Failure::from_store(status, &text, retry_after.as_deref()))
}

/// `PUT` bytes `start..end` of `path` to a part URL, with the signed headers.
pub async fn send_part(
    http: &reqwest::Client,
    url: &str,
    headers: Vec<(String, String)>,
    path: &Path,
    (start, end): (u64, u64),
    on_sent: OnSent,
) -> Stored {
    let req = with_headers(http.put(url), headers)
        // A set length (not chunked): the store needs it, and it may be signed.
        .header(CONTENT_LENGTH, end - start)
        .body(body(path, start, end, on_sent));
    answer(req).await
}

/// The whole file as `params` say: a `PUT` with the signed headers, or a
/// `POST` form with the signed fields and the file last.
pub async fn send_single(
    http: &reqwest::Client,
    params: UploadParams,
    path: &Path,
    size: u64,
    on_sent: OnSent,
) -> Stored {
    let req = match params.method {
        UploadMethod::Put => with_headers(http.put(&params.url), params.headers)
            .header(CONTENT_LENGTH, size)
            .body(body(path, 0, size, on_sent)),
        UploadMethod::Post => {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in params.fields {
                form = form.text(k, v);
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            let part =
                reqwest::multipart::Part::stream_with_length(body(path, 0, size, on_sent), size)
                    .file_name(name);
            http.post(&params.url).multipart(form.part("file", part))
        }
    };
    answer(req).await
}
