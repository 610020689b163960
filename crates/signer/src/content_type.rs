//! Content types, parsed strictly and signed in one canonical form.
//!
//! The store keeps whatever `Content-Type` a presigned request carries, and a
//! browser later decides from that string how to render the object. Browsers
//! are lenient where RFC 9110 is not: the Fetch standard ("extract a MIME
//! type") splits a header value on commas and keeps the *last* type that
//! parses, so `image/png;,text/html` or `image/png,text/html` is rendered as
//! HTML although its first type looks like an image. So the signer accepts
//! only the RFC 9110 §8.3.1 grammar,
//!
//! ```text
//! media-type = type "/" subtype parameters
//! parameters = *( OWS ";" OWS [ parameter ] )          ; RFC 9110 §5.6.6
//! parameter  = parameter-name "=" ( token / quoted-string )
//! ```
//!
//! with type, subtype and parameter names `token`s (§5.6.2), plus limits of
//! its own: no comma anywhere (not even inside a quoted string, where RFC 9110
//! allows one but a comma-splitting reader does not see quotes), visible ASCII
//! and single spaces only, at most [`MAX_LEN`] bytes, each parameter once.
//!
//! What is signed and stored is never the caller's string but
//! [`ContentType::as_str`]: type, subtype and parameter names lower-cased
//! (all case-insensitive, §8.3.1), `; ` between parameters, and a value quoted
//! only when it is not a token. That form is itself valid, so parsing it again
//! gives it back unchanged.

use std::fmt;

/// The longest content type accepted, in bytes. S3 sets no limit of its own,
/// but no real media type comes near it, and a bound keeps keys, logs and
/// POST policies small.
pub const MAX_LEN: usize = 255;

/// What the signer stores when a caller names no type: an opaque download.
pub const DEFAULT: &str = "application/octet-stream";

/// A media type in canonical form, parsed once at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentType {
    canonical: String,
    /// Byte index of the `/` in `canonical`.
    slash: usize,
    /// Length of `type/subtype` in `canonical`.
    essence_len: usize,
}

/// Why a content type was refused; each message says what to send instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentTypeError {
    /// Longer than [`MAX_LEN`].
    #[error("the content type is longer than {MAX_LEN} bytes")]
    TooLong,
    /// A control character, a tab, or a byte outside ASCII.
    #[error("the content type may hold only visible ASCII characters and spaces")]
    NotVisibleAscii,
    /// A comma, which browsers read as a list separator.
    #[error(
        "the content type may not contain a comma (browsers read a comma as a list \
         of types and use the last one); send one type like image/png"
    )]
    Comma,
    /// Not `type/subtype *( ; name=value )`.
    #[error(
        "the content type is not a media type like image/png or text/plain; charset=utf-8: {0}"
    )]
    Syntax(&'static str),
    /// The same parameter name twice: readers disagree on which one counts.
    #[error("the content type names the parameter `{0}` twice")]
    DuplicateParameter(String),
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 §5.6.2 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// A cursor over the bytes of a content type (ASCII only, checked first).
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn token(&mut self, what: &'static str) -> Result<&'a str, ContentTypeError> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(ContentTypeError::Syntax(what));
        }
        Ok(&self.s[start..self.pos])
    }

    fn expect(&mut self, b: u8, what: &'static str) -> Result<(), ContentTypeError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(ContentTypeError::Syntax(what))
        }
    }

    /// OWS, spaces only: tabs were refused up front.
    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// RFC 9110 §5.6.4 `quoted-string`, unescaped. `obs-text` and tabs never
    /// get here; a comma was refused up front.
    fn quoted(&mut self) -> Result<String, ContentTypeError> {
        const UNCLOSED: &str = "a quoted parameter value is not closed";
        self.expect(b'"', UNCLOSED)?;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(ContentTypeError::Syntax(UNCLOSED)),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.peek().ok_or(ContentTypeError::Syntax(UNCLOSED))?;
                    out.push(c as char);
                    self.pos += 1;
                }
                Some(c) => {
                    out.push(c as char);
                    self.pos += 1;
                }
            }
        }
        // SigV4 folds runs of spaces in a signed header value into one
        // (the canonical request's "trimall"), and stores need not agree on
        // it inside quotes: such a value could be signed as one string and
        // stored as another.
        if out.contains("  ") {
            return Err(ContentTypeError::Syntax(
                "a parameter value may not hold two spaces in a row",
            ));
        }
        Ok(out)
    }
}

impl ContentType {
    /// Parses a `Content-Type` value strictly (see the module docs).
    pub fn parse(input: &str) -> Result<ContentType, ContentTypeError> {
        if input.len() > MAX_LEN {
            return Err(ContentTypeError::TooLong);
        }
        if !input.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return Err(ContentTypeError::NotVisibleAscii);
        }
        if input.contains(',') {
            return Err(ContentTypeError::Comma);
        }
        // A field value carries no leading or trailing whitespace (RFC 9110 §5.5).
        let mut c = Cursor {
            s: input.trim_matches(' '),
            pos: 0,
        };
        let main = c.token("expected a type such as image")?;
        c.expect(b'/', "expected type/subtype, such as image/png")?;
        let sub = c.token("expected a subtype after the /, such as png")?;
        let mut canonical = format!("{main}/{sub}").to_ascii_lowercase();
        let slash = main.len();
        let essence_len = canonical.len();
        let mut names: Vec<String> = Vec::new();
        loop {
            c.skip_spaces();
            if c.peek().is_none() {
                break;
            }
            c.expect(b';', "expected ; before a parameter")?;
            c.skip_spaces();
            // RFC 9110 allows an empty parameter (`text/plain;`): it says nothing.
            if matches!(c.peek(), None | Some(b';')) {
                continue;
            }
            let name = c
                .token("expected a parameter name=value")?
                .to_ascii_lowercase();
            c.expect(b'=', "expected = right after a parameter name")?;
            let value = if c.peek() == Some(b'"') {
                c.quoted()?
            } else {
                c.token("expected a parameter value after =")?.to_owned()
            };
            if names.contains(&name) {
                return Err(ContentTypeError::DuplicateParameter(name));
            }
            // Charset names are case-insensitive (RFC 9110 §8.3.2).
            let value = if name == "charset" {
                value.to_ascii_lowercase()
            } else {
                value
            };
            canonical.push_str("; ");
            canonical.push_str(&name);
            canonical.push('=');
            push_value(&mut canonical, &value);
            names.push(name);
        }
        // Quoting can make the canonical form longer than the input.
        if canonical.len() > MAX_LEN {
            return Err(ContentTypeError::TooLong);
        }
        Ok(ContentType {
            canonical,
            slash,
            essence_len,
        })
    }

    /// Parses the type a caller sent, or [`DEFAULT`] when it sent none (or
    /// only spaces), as browsers do for a file of unknown type.
    pub fn parse_or_default(input: Option<&str>) -> Result<ContentType, ContentTypeError> {
        match input.map(|s| s.trim_matches(' ')).filter(|s| !s.is_empty()) {
            Some(s) => ContentType::parse(s),
            None => ContentType::parse(DEFAULT),
        }
    }

    /// The canonical form: what is signed, stored and answered.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// `type/subtype`, lower-case, without parameters (the "essence" of the
    /// WHATWG MIME Sniffing standard).
    pub fn essence(&self) -> &str {
        &self.canonical[..self.essence_len]
    }

    /// The top-level type, such as `image`.
    pub fn main_type(&self) -> &str {
        &self.canonical[..self.slash]
    }

    /// The subtype, such as `svg+xml`.
    pub fn subtype(&self) -> &str {
        &self.canonical[self.slash + 1..self.essence_len]
    }

    /// Whether a browser that opens the object from the bucket's origin may
    /// run script in it. See [`is_active_essence`].
    pub fn is_active(&self) -> bool {
        is_active_essence(self.main_type(), self.subtype())
    }
}

/// A parameter value: bare when it is a token, else a quoted-string with
/// `"` and `\` escaped (RFC 9110 §5.6.4).
fn push_value(out: &mut String, value: &str) {
    if is_token(value) {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// The JavaScript MIME type essences of the WHATWG MIME Sniffing standard,
/// §4.6 "MIME type groups".
const JAVASCRIPT: &[&str] = &[
    "application/ecmascript",
    "application/javascript",
    "application/x-ecmascript",
    "application/x-javascript",
    "text/ecmascript",
    "text/javascript",
    "text/javascript1.0",
    "text/javascript1.1",
    "text/javascript1.2",
    "text/javascript1.3",
    "text/javascript1.4",
    "text/javascript1.5",
    "text/jscript",
    "text/livescript",
    "text/x-ecmascript",
    "text/x-javascript",
];

/// Active content: types a browser renders as a document that runs script,
/// or runs as script, or sniffs into one of those. The groups come from the
/// WHATWG MIME Sniffing standard (<https://mimesniff.spec.whatwg.org/>):
///
/// - the HTML MIME type, `text/html` (§4.6);
/// - every XML MIME type: a subtype ending in `+xml`, or `text/xml`,
///   `application/xml` (§4.6). That covers `image/svg+xml`,
///   `application/xhtml+xml`, `application/xslt+xml` and `application/mathml+xml`,
///   which all carry script. Subtypes `xml-dtd` and
///   `xml-external-parsed-entity` (RFC 7303) are refused with them;
/// - every JavaScript MIME type ([`JAVASCRIPT`], §4.6);
/// - `text/xsl`, the type browsers load XSLT stylesheets with;
/// - the types that send a browser into "identify an unknown MIME type"
///   (§7.1), which can end in HTML: `unknown/unknown`, `application/unknown`
///   and `*/*` (`*` is a `tchar`, so it parses);
/// - `multipart/*`: each body part carries its own `Content-Type`, and
///   browsers render `multipart/x-mixed-replace` part by part.
///
/// PDF is left out: browsers open it in a viewer isolated from the page's
/// origin. Everything else is rendered as plain text, shown as media, or
/// downloaded.
pub fn is_active_essence(main: &str, sub: &str) -> bool {
    let essence_is = |e: &str| e.split_once('/') == Some((main, sub));
    essence_is("text/html")
        || sub == "xml"
        || sub.ends_with("+xml")
        || sub.starts_with("xml-")
        || JAVASCRIPT.iter().any(|e| essence_is(e))
        || essence_is("text/xsl")
        || essence_is("unknown/unknown")
        || essence_is("application/unknown")
        || main == "*"
        || sub == "*"
        || main == "multipart"
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

#[cfg(test)]
#[path = "content_type_tests.rs"]
mod tests;
