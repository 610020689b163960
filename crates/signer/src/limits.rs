//! What may be uploaded: the content-type allowlist (`image/*` wildcards) and
//! the size limit, both checked at signing and then enforced by the store.

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
        let token = |t: &str| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
        };
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

    /// Whether a content type (parameters such as `; charset=` ignored) matches.
    pub fn matches(&self, content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let Some((main, sub)) = essence.split_once('/') else {
            return false;
        };
        (self.main == "*" || self.main == main) && self.sub.as_deref().is_none_or(|s| s == sub)
    }
}

impl std::fmt::Display for TypePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.main, self.sub.as_deref().unwrap_or("*"))
    }
}

/// A content type as the signer will sign it: a plain media type, at most 255
/// characters of visible ASCII. Anything else is refused rather than signed.
pub fn normalize_content_type(t: Option<&str>) -> Result<String, &'static str> {
    let t = t
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("application/octet-stream");
    if t.len() > 255 || !t.bytes().all(|b| (0x20..0x7f).contains(&b)) || !t.contains('/') {
        return Err("the content type must be a media type like image/png");
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let img = TypePattern::parse("image/*").unwrap();
        assert!(img.matches("image/png"));
        assert!(img.matches("IMAGE/JPEG; q=1"));
        assert!(!img.matches("text/html"));
        let exact = TypePattern::parse("application/pdf").unwrap();
        assert!(exact.matches("application/pdf"));
        assert!(!exact.matches("application/pdfx"));
        assert!(TypePattern::parse("*/*").unwrap().matches("a/b"));
        assert!(TypePattern::parse("image").is_none());
        assert!(TypePattern::parse("*/png").is_none());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            normalize_content_type(None).unwrap(),
            "application/octet-stream"
        );
        assert!(normalize_content_type(Some("text/plain\r\nx: y")).is_err());
        assert!(normalize_content_type(Some("nonsense")).is_err());
    }
}
