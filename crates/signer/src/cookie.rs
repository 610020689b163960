//! Where a request's token comes from: the `Authorization` header, or, with
//! `S3LIFT_AUTH_COOKIE=<name>`, that cookie. Uppy's `@uppy/aws-s3` 6 sends no
//! custom header to a Companion endpoint, but the browser attaches cookies.
//!
//! A browser attaches a cookie to requests that other sites make as well, so a
//! cookie alone would allow cross-site request forgery. A cookie-authenticated
//! request is therefore accepted only when its `Origin` (RFC 6454; set by the
//! browser, never by a script) is the signer's own origin or one listed in
//! `S3LIFT_ALLOWED_ORIGINS` (`*` does not count). A same-origin `GET` carries
//! no `Origin` (Fetch standard, "append a request `Origin` header"); it is
//! recognised by `Sec-Fetch-Site: same-origin` (Fetch Metadata), which scripts
//! cannot set either.

use actix_web::http::header::{HeaderMap, AUTHORIZATION, COOKIE, ORIGIN};
use actix_web::HttpRequest;

use crate::auth::AuthError;

/// The credential a request carries.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential {
    /// An `Authorization` header value.
    Header(String),
    /// The token of the auth cookie, from an allowed origin.
    Cookie(String),
    /// Neither.
    None,
}

/// Picks the request's credential. `Err` when it is a cookie from an origin
/// that is not allowed.
pub fn credential(
    req: &HttpRequest,
    cookie_name: Option<&str>,
    allowed_origins: &[String],
) -> Result<Credential, AuthError> {
    let headers = req.headers();
    if let Some(h) = headers.get(AUTHORIZATION) {
        // A header that is not visible ASCII is still a (bad) header: it must
        // not fall through to the cookie or to anonymous access.
        return Ok(Credential::Header(h.to_str().unwrap_or("?").to_owned()));
    }
    let Some(token) = cookie_name.and_then(|name| cookie_value(headers, name)) else {
        return Ok(Credential::None);
    };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if origin_allowed(origin, fetch_site, &own, allowed_origins) {
        Ok(Credential::Cookie(token))
    } else {
        Err(AuthError::ForbiddenOrigin)
    }
}

/// The value of cookie `name` (RFC 6265 §5.4 `cookie-string`), without the
/// optional double quotes. Empty values count as absent.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// Whether a cookie-authenticated request may proceed (see the module doc).
pub fn origin_allowed(
    origin: Option<&str>,
    fetch_site: Option<&str>,
    own_origin: &str,
    allowed: &[String],
) -> bool {
    match origin {
        Some(o) => {
            o.eq_ignore_ascii_case(own_origin)
                || allowed
                    .iter()
                    .any(|a| a != "*" && a.trim_end_matches('/').eq_ignore_ascii_case(o))
        }
        None => fetch_site == Some("same-origin"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const OWN: &str = "http://signer.test:8080";

    fn allowed() -> Vec<String> {
        vec!["https://app.example.com".into(), "*".into()]
    }

    #[test]
    fn origins() {
        let a = allowed();
        assert!(origin_allowed(Some(OWN), None, OWN, &a));
        assert!(origin_allowed(
            Some("https://app.example.com"),
            None,
            OWN,
            &a
        ));
        assert!(!origin_allowed(Some("https://evil.example"), None, OWN, &a));
        assert!(!origin_allowed(Some("null"), None, OWN, &a));
        // `*` is for bearer clients; it never vouches for a cookie.
        assert!(!origin_allowed(
            Some("https://evil.example"),
            None,
            OWN,
            &["*".into()]
        ));
        assert!(origin_allowed(None, Some("same-origin"), OWN, &a));
        assert!(!origin_allowed(None, Some("cross-site"), OWN, &a));
        assert!(!origin_allowed(None, Some("same-site"), OWN, &a));
        assert!(!origin_allowed(None, None, OWN, &a));
    }

    #[test]
    fn cookie_values() {
        let req = TestRequest::default()
            .insert_header((COOKIE, "a=1; s3lift=\"tok-123\"; b=2"))
            .to_http_request();
        assert_eq!(
            cookie_value(req.headers(), "s3lift").as_deref(),
            Some("tok-123")
        );
        assert_eq!(cookie_value(req.headers(), "s3"), None);
        let req = TestRequest::default()
            .insert_header((COOKIE, "s3lift="))
            .to_http_request();
        assert_eq!(cookie_value(req.headers(), "s3lift"), None);
    }

    #[test]
    fn header_first_then_cookie_with_origin() {
        let a = allowed();
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "Bearer x"))
            .insert_header((COOKIE, "s3lift=c"))
            .to_http_request();
        assert_eq!(
            credential(&req, Some("s3lift"), &a),
            Ok(Credential::Header("Bearer x".into()))
        );
        let req = TestRequest::default()
            .insert_header((COOKIE, "s3lift=c"))
            .insert_header((ORIGIN, "https://evil.example"))
            .to_http_request();
        assert_eq!(
            credential(&req, Some("s3lift"), &a),
            Err(AuthError::ForbiddenOrigin)
        );
        assert_eq!(credential(&req, None, &a), Ok(Credential::None));
        let req = TestRequest::default()
            .insert_header((COOKIE, "s3lift=c"))
            .insert_header((ORIGIN, "https://app.example.com"))
            .to_http_request();
        assert_eq!(
            credential(&req, Some("s3lift"), &a),
            Ok(Credential::Cookie("c".into()))
        );
        // The signer's own origin comes from the request's scheme and Host.
        let req = TestRequest::default()
            .insert_header((COOKIE, "s3lift=c"))
            .insert_header(("host", "signer.test:8080"))
            .insert_header((ORIGIN, OWN))
            .to_http_request();
        assert_eq!(
            credential(&req, Some("s3lift"), &a),
            Ok(Credential::Cookie("c".into()))
        );
    }
}
