//! Turning a user's file name into one safe object-key segment.
//!
//! The result never contains `/`, `\`, a `..` segment, control characters or
//! bidirectional overrides; it is Unicode NFC, at most [`MAX_NAME_BYTES`]
//! bytes of UTF-8 (the extension is kept when the stem is cut), and never
//! empty (`file`).

use alloc::{borrow::ToOwned, format, string::String};

use unicode_normalization::UnicodeNormalization;

/// Longest sanitized name, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 200;

/// Sanitizes `name` into one key segment. See the module docs.
pub fn sanitize_filename(name: &str) -> String {
    // Browsers may hand over a relative path (folder drops): keep the last segment.
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .nfc()
        .filter(|c| !is_forbidden(*c))
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c == ' ' || c == '.');
    let mut out = if trimmed.is_empty() {
        String::from("file")
    } else {
        trimmed.to_owned()
    };
    if out.len() > MAX_NAME_BYTES {
        out = shorten(&out);
    }
    out
}

fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '/' | '\\'
            // Bidi embeddings, overrides and isolates: they make `exe.txt` look like `txt.exe`.
            | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
            // Zero-width and BOM characters that hide in names.
            | '\u{200B}'..='\u{200D}' | '\u{FEFF}'
        )
}

/// Cuts the stem so the whole name fits, keeping a short extension.
fn shorten(name: &str) -> String {
    let ext = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => &name[i..],
        _ => "",
    };
    let budget = MAX_NAME_BYTES - ext.len();
    let mut stem = String::new();
    for c in name[..name.len() - ext.len()].chars() {
        if stem.len() + c.len_utf8() > budget {
            break;
        }
        stem.push(c);
    }
    format!("{}{ext}", stem.trim_end_matches([' ', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_ordinary_names() {
        assert_eq!(sanitize_filename("holiday photo.JPG"), "holiday photo.JPG");
        assert_eq!(sanitize_filename("résumé.pdf"), "résumé.pdf");
    }

    #[test]
    fn removes_paths_and_dot_segments() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitize_filename(".."), "file");
        assert_eq!(sanitize_filename("dir/"), "file");
        assert_eq!(sanitize_filename(""), "file");
    }

    #[test]
    fn removes_controls_and_bidi_overrides() {
        assert_eq!(sanitize_filename("a\u{0}b\nc\u{202E}txt.exe"), "abctxt.exe");
    }

    #[test]
    fn normalizes_to_nfc() {
        assert_eq!(sanitize_filename("e\u{301}.txt"), "\u{e9}.txt");
    }

    #[test]
    fn bounds_the_length_and_keeps_the_extension() {
        let long = format!("{}.tar.gz", "é".repeat(500));
        let s = sanitize_filename(&long);
        assert!(s.len() <= MAX_NAME_BYTES);
        assert!(s.ends_with(".gz"));
    }

    proptest! {
        #[test]
        fn output_is_always_one_safe_segment(name in "\\PC{0,400}") {
            let s = sanitize_filename(&name);
            prop_assert!(!s.is_empty());
            prop_assert!(s.len() <= MAX_NAME_BYTES);
            prop_assert!(!s.contains('/') && !s.contains('\\'));
            prop_assert!(s != "." && s != "..");
            prop_assert!(!s.chars().any(is_forbidden));
        }

        #[test]
        fn sanitizing_is_idempotent(name in "\\PC{0,300}") {
            let once = sanitize_filename(&name);
            prop_assert_eq!(sanitize_filename(&once), once.clone());
        }
    }
}
