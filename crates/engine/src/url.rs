//! Presigned URLs the engine holds, when they stop being safe to use, and
//! the location of an object sent by a form.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use s3lift_protocol::wire::UploadMethod;

/// A URL with the headers its signature covers and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUrl {
    /// The URL (a bearer credential).
    pub url: String,
    /// Signed headers to send with it.
    pub headers: Vec<(String, String)>,
    /// When it stops working, engine ms.
    pub expires_at: u64,
    /// Time left below which it is signed again before use.
    pub margin_ms: u64,
}

impl SignedUrl {
    /// A URL signed at `now` for `ttl_ms`.
    #[inline(never)]
    pub fn new(url: String, headers: Vec<(String, String)>, now: u64, ttl_ms: u64) -> Self {
        Self {
            url,
            headers,
            expires_at: now.saturating_add(ttl_ms),
            margin_ms: margin(ttl_ms),
        }
    }

    /// Whether it is still safe to start a request with it at `now`.
    #[inline(never)]
    pub fn fresh(&self, now: u64) -> bool {
        self.expires_at.saturating_sub(now) > self.margin_ms
    }
}

/// 5 s, or half the lifetime when URLs live shorter than 10 s: a request
/// started just before expiry would be refused by the store mid-way.
pub fn margin(ttl_ms: u64) -> u64 {
    (ttl_ms / 2).min(5_000)
}

/// The lifetime of a signer answer: its `expires` (seconds), or the default.
#[inline(never)]
pub fn ttl_ms(expires: Option<u64>, default_ms: u64) -> u64 {
    // `saturating_mul` by a compare: its overflow check was a 128-bit
    // multiply in the bundle.
    expires.map_or(default_ms, |s| {
        if s > u64::MAX / 1000 {
            u64::MAX
        } else {
            s * 1000
        }
    })
}

/// Where an object sent in one request lives: a PUT's URL without its
/// query; a POST form goes to the bucket URL, so the key is appended.
pub fn location(method: UploadMethod, url: &str, key: &str) -> String {
    // Byte searches, not `split`/`trim_end_matches` (core's char searchers
    // cost the bundle; `?` and `/` are ASCII, so the cuts are boundaries).
    // A counting loop: no `position` instance over the bytes.
    let mut end = 0;
    while url.as_bytes().get(end).is_some_and(|&b| b != b'?') {
        end += 1;
    }
    let base = url.get(..end).unwrap_or(url);
    match method {
        UploadMethod::Put => base.to_owned(),
        UploadMethod::Post => {
            let mut out = String::from(without_trailing_slashes(base));
            out.push('/');
            encode_component(key, &mut out);
            out
        }
    }
}

/// `s.trim_end_matches('/')`.
pub fn without_trailing_slashes(s: &str) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && b[end - 1] == b'/' {
        end -= 1;
    }
    s.get(..end).unwrap_or(s)
}

/// `encodeURIComponent` of each `/`-separated segment of `s`, joined by `/`:
/// everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` and the separators.
fn encode_component(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' | b'/'
            )
        {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_renewed_before_they_expire() {
        let u = SignedUrl::new("u".into(), vec![], 1_000, 60_000);
        assert!(u.fresh(1_000));
        assert!(u.fresh(55_999));
        assert!(!u.fresh(56_000));
        // Short-lived URLs keep half their life as margin.
        let short = SignedUrl::new("u".into(), vec![], 0, 4_000);
        assert!(short.fresh(1_999) && !short.fresh(2_000));
        assert_eq!(ttl_ms(None, 240_000), 240_000);
        assert_eq!(ttl_ms(Some(900), 1), 900_000);
    }

    #[test]
    fn form_location_appends_the_encoded_key() {
        assert_eq!(
            location(
                UploadMethod::Post,
                "https://s3.example/bucket/?x=1",
                "a/b c/ü.txt"
            ),
            "https://s3.example/bucket/a/b%20c/%C3%BC.txt"
        );
        assert_eq!(
            location(
                UploadMethod::Put,
                "https://s3.example/b/k?X-Amz-Signature=s",
                "k"
            ),
            "https://s3.example/b/k"
        );
        // Trailing slashes of the bucket URL go, empty key segments stay.
        assert_eq!(
            location(UploadMethod::Post, "https://s3.example/b//", "/a//b/"),
            "https://s3.example/b//a//b/"
        );
        assert_eq!(without_trailing_slashes("/s3//"), "/s3");
        assert_eq!(without_trailing_slashes("//"), "");
    }
}
