//! Turning a user's file name into one safe object-key segment, and a
//! folder's relative path into a few of them.
//!
//! A segment never contains `/`, `\\`, a `..` segment, control characters or
//! bidirectional overrides; it is Unicode NFC, at most [`MAX_NAME_BYTES`]
//! bytes of UTF-8 (the extension is kept when the stem is cut), and never
//! empty (`file`). A relative path ([`sanitize_relative_path`]) is such
//! segments joined by `/`: empty and `.` segments are dropped, a `..` segment
//! is refused, and the depth and length are bounded.

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

/// Most segments a relative path may have, its file name included.
pub const MAX_PATH_DEPTH: usize = 16;

/// Longest sanitized relative path, in bytes of UTF-8.
pub const MAX_PATH_BYTES: usize = 512;

/// Longest object key S3 stores, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// Why a relative path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// A `..` segment: it would name something outside the folder.
    Parent,
    /// No segment left once empty and `.` segments are dropped.
    Empty,
    /// More than [`MAX_PATH_DEPTH`] segments.
    TooDeep {
        /// The segments the path has.
        depth: usize,
    },
    /// Longer than [`MAX_PATH_BYTES`] once sanitized (or 4 times that before).
    TooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// The whole key it would make is longer than [`MAX_KEY_BYTES`].
    KeyTooLong {
        /// The key's length in bytes.
        bytes: usize,
    },
}

impl core::fmt::Display for PathError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PathError::Parent => f.write_str("`relativePath` has a `..` segment"),
            PathError::Empty => f.write_str("`relativePath` names no file"),
            PathError::TooDeep { depth } => write!(
                f,
                "`relativePath` has {depth} segments; at most {MAX_PATH_DEPTH} (folders and the file name) are allowed"
            ),
            PathError::TooLong { bytes } => write!(
                f,
                "`relativePath` is {bytes} bytes long; at most {MAX_PATH_BYTES} are allowed"
            ),
            PathError::KeyTooLong { bytes } => write!(
                f,
                "the object key for this `relativePath` would be {bytes} bytes long; \
                 S3 allows {MAX_KEY_BYTES}: use a shorter path"
            ),
        }
    }
}

/// Sanitizes a file's path inside a picked folder (`photos/2024/a.jpg`, the
/// file name included) into key segments joined by `/`. Both `/` and `\\`
/// separate segments; each is sanitized as [`sanitize_filename`] does.
pub fn sanitize_relative_path(path: &str) -> Result<String, PathError> {
    if path.len() > 4 * MAX_PATH_BYTES {
        return Err(PathError::TooLong { bytes: path.len() });
    }
    let mut out = String::new();
    let mut depth = 0;
    for seg in path.split(['/', '\\']) {
        if seg == ".." {
            return Err(PathError::Parent);
        }
        if seg.is_empty() || seg == "." {
            continue;
        }
        depth += 1;
        if depth > MAX_PATH_DEPTH {
            let depth = path
                .split(['/', '\\'])
                .filter(|s| !s.is_empty() && *s != ".")
                .count();
            return Err(PathError::TooDeep { depth });
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&sanitize_filename(seg));
    }
    if out.is_empty() {
        return Err(PathError::Empty);
    }
    if out.len() > MAX_PATH_BYTES {
        return Err(PathError::TooLong { bytes: out.len() });
    }
    Ok(out)
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

    #[test]
    fn relative_paths_keep_their_folders() {
        let ok = |p: &str| sanitize_relative_path(p).unwrap();
        assert_eq!(ok("photos/2024/a.jpg"), "photos/2024/a.jpg");
        assert_eq!(ok("photos\\2024\\a.jpg"), "photos/2024/a.jpg");
        assert_eq!(ok("/a//./b/"), "a/b");
        assert_eq!(ok("a\u{202E}b/\u{0}c\n.txt"), "ab/c.txt");
        assert_eq!(ok(" . /x"), "file/x");
        assert_eq!(ok("e\u{301}/f"), "\u{e9}/f");
    }

    #[test]
    fn relative_paths_are_refused_when_hostile_or_unbounded() {
        assert_eq!(sanitize_relative_path("a/../b"), Err(PathError::Parent));
        assert_eq!(sanitize_relative_path("..\\x"), Err(PathError::Parent));
        assert_eq!(sanitize_relative_path("//./"), Err(PathError::Empty));
        let deep = vec!["d"; MAX_PATH_DEPTH + 1].join("/");
        assert_eq!(
            sanitize_relative_path(&deep),
            Err(PathError::TooDeep {
                depth: MAX_PATH_DEPTH + 1
            })
        );
        assert!(sanitize_relative_path(&vec!["d"; MAX_PATH_DEPTH].join("/")).is_ok());
        let long = vec!["x".repeat(100); 6].join("/");
        assert_eq!(
            sanitize_relative_path(&long),
            Err(PathError::TooLong { bytes: 605 })
        );
        assert!(matches!(
            sanitize_relative_path(&"y".repeat(100_000)),
            Err(PathError::TooLong { bytes: 100_000 })
        ));
        for e in [
            PathError::Parent,
            PathError::Empty,
            PathError::TooDeep { depth: 17 },
            PathError::TooLong { bytes: 600 },
            PathError::KeyTooLong { bytes: 1100 },
        ] {
            assert!(e.to_string().contains("`relativePath`"), "{e}");
        }
    }

    proptest! {
        #[test]
        fn relative_paths_are_safe_segments_and_idempotent(path in "[a-z./\\\\\\PC]{0,300}") {
            if let Ok(p) = sanitize_relative_path(&path) {
                prop_assert!(!p.is_empty() && p.len() <= MAX_PATH_BYTES);
                prop_assert!(!p.starts_with('/') && !p.ends_with('/') && !p.contains("//"));
                prop_assert!(!p.contains('\\'));
                for seg in p.split('/') {
                    prop_assert!(seg != "." && seg != "..");
                    prop_assert_eq!(sanitize_filename(seg), seg);
                }
                prop_assert_eq!(sanitize_relative_path(&p), Ok(p.clone()));
            }
        }

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
