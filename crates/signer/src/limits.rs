//! What may be uploaded: the content-type allowlist (`image/*` wildcards),
//! checked at signing on the parsed [`ContentType`], and how an admitted type
//! is stored.
//!
//! Active content ([`ContentType::is_active`]: HTML, SVG and other XML,
//! JavaScript…) runs script on the bucket's origin when a browser opens the
//! object there. It is admitted only by a rule that names its essence exactly,
//! never by a wildcard nor by an empty allowlist, and then it is stored with
//! `Content-Disposition: attachment`, so a browser downloads it instead of
//! rendering it (RFC 6266 §4.2).

use std::fmt;

use crate::content_type::{is_token, ContentType};

/// The `Content-Disposition` active content is stored with.
pub const ATTACHMENT: &str = "attachment";

/// One entry of `S3LIFT_ALLOWED_TYPES`: `type/subtype`, `type/*` or `*/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypePattern {
    main: String,
    sub: Option<String>,
}

impl TypePattern {
    /// Parses an entry, lower-cased; `None` when it is not a media type pattern.
    pub fn parse(s: &str) -> Option<TypePattern> {
        let s = s.trim().to_ascii_lowercase();
        let (main, sub) = s.split_once('/')?;
        // `*` is a tchar, but here it only ever means "any".
        let token = |t: &str| is_token(t) && !t.contains('*');
        match (main, sub) {
            ("*", "*") => Some(TypePattern {
                main: "*".into(),
                sub: None,
            }),
            (m, "*") if token(m) => Some(TypePattern {
                main: m.into(),
                sub: None,
            }),
            (m, s) if token(m) && token(s) => Some(TypePattern {
                main: m.into(),
                sub: Some(s.into()),
            }),
            _ => None,
        }
    }

    /// Whether the type's essence matches (parameters play no part).
    pub fn matches(&self, t: &ContentType) -> bool {
        (self.main == "*" || self.main == t.main_type())
            && self.sub.as_deref().is_none_or(|s| s == t.subtype())
    }

    /// Whether this rule names the type's essence exactly, with no wildcard.
    pub fn names(&self, t: &ContentType) -> bool {
        self.sub.is_some() && self.matches(t)
    }
}

impl fmt::Display for TypePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.main, self.sub.as_deref().unwrap_or("*"))
    }
}

/// How an admitted upload is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The canonical type to sign and store.
    pub content_type: ContentType,
    /// `Some(`[`ATTACHMENT`]`)` for active content: the signed
    /// `Content-Disposition` the object must be stored with.
    pub disposition: Option<&'static str>,
}

/// Checks a parsed type against the allowlist (empty: any passive type).
/// The refusal is a message for a 415 that says how to allow the type.
pub fn admit(allowed: &[TypePattern], t: ContentType) -> Result<Admitted, String> {
    if t.is_active() {
        if allowed.iter().any(|p| p.names(&t)) {
            return Ok(Admitted {
                content_type: t,
                disposition: Some(ATTACHMENT),
            });
        }
        return Err(format!(
            "content type {} can run script in a browser; it is accepted only when \
             S3LIFT_ALLOWED_TYPES names {} exactly (a wildcard such as image/* or */* \
             never admits it), and it is then stored as an attachment",
            t.essence(),
            t.essence()
        ));
    }
    if allowed.is_empty() || allowed.iter().any(|p| p.matches(&t)) {
        return Ok(Admitted {
            content_type: t,
            disposition: None,
        });
    }
    let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    Err(format!(
        "content type {} is not accepted here (allowed: {})",
        t.essence(),
        list.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(s: &str) -> ContentType {
        ContentType::parse(s).unwrap()
    }

    fn rules(list: &[&str]) -> Vec<TypePattern> {
        list.iter()
            .map(|s| TypePattern::parse(s).unwrap())
            .collect()
    }

    #[test]
    fn wildcards() {
        let img = TypePattern::parse("image/*").unwrap();
        assert!(img.matches(&ct("image/png")));
        assert!(img.matches(&ct("IMAGE/JPEG; q=1")));
        assert!(!img.matches(&ct("text/html")));
        let exact = TypePattern::parse("application/pdf").unwrap();
        assert!(exact.matches(&ct("application/pdf")));
        assert!(!exact.matches(&ct("application/pdfx")));
        assert!(TypePattern::parse("*/*").unwrap().matches(&ct("a/b")));
        assert!(TypePattern::parse("image").is_none());
        assert!(TypePattern::parse("*/png").is_none());
        assert_eq!(img.to_string(), "image/*");
        assert_eq!(exact.to_string(), "application/pdf");
    }

    #[test]
    fn a_wildcard_never_admits_active_content() {
        for allowed in [rules(&[]), rules(&["image/*"]), rules(&["*/*", "text/*"])] {
            for t in [
                "image/svg+xml",
                "text/html",
                "application/xhtml+xml",
                "text/xml",
            ] {
                let e = admit(&allowed, ct(t)).unwrap_err();
                assert!(e.contains("names") && e.contains(t), "{e}");
            }
            let ok = admit(&allowed, ct("image/png")).unwrap();
            assert_eq!(ok.disposition, None);
        }
    }

    #[test]
    fn an_exact_rule_admits_active_content_as_an_attachment() {
        let allowed = rules(&["image/*", "image/svg+xml"]);
        let a = admit(&allowed, ct("Image/SVG+XML; charset=UTF-8")).unwrap();
        assert_eq!(a.content_type.as_str(), "image/svg+xml; charset=utf-8");
        assert_eq!(a.disposition, Some(ATTACHMENT));
        assert!(admit(&allowed, ct("text/html")).is_err());
        let e = admit(&allowed, ct("text/plain")).unwrap_err();
        assert!(e.contains("image/*, image/svg+xml"), "{e}");
    }
}
