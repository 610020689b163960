//! Keys made from a folder's relative paths: nested paths keep their
//! folders, hostile segments are sanitized or refused, and no key ever
//! leaves the caller's namespace.

use super::*;
use proptest::prelude::*;
use s3lift_protocol::sanitize::{MAX_PATH_BYTES, MAX_PATH_DEPTH};

fn issuer(prefix: &str) -> KeyIssuer {
    KeyIssuer::new(
        prefix,
        &Secret::new("unit-test-key-secret-0123456789abcdef"),
    )
}

fn alice() -> Caller {
    Caller::parse("alice").unwrap()
}

const ANY: Approved = Approved {
    size: Some(3),
    part_size: None,
};

/// The key's tail after `<prefix>/<caller>/<uuid>.<tag>/`.
fn tail<'a>(key: &'a str, prefix: &str) -> &'a str {
    let rest = key.strip_prefix(&format!("{prefix}/alice/")).unwrap();
    rest.split_once('/').unwrap().1
}

#[test]
fn nested_paths_keep_their_folders_and_parse_back() {
    let keys = issuer("uploads");
    let k = keys
        .issue_at(&alice(), "a.jpg", Some("photos/2024/a.jpg"), ANY)
        .unwrap();
    let s = k.to_string();
    assert!(s.starts_with("uploads/alice/"), "{s}");
    assert_eq!(tail(&s, "uploads"), "photos/2024/a.jpg");
    let back = keys.parse_for(&s, &alice()).unwrap();
    assert_eq!(back, k);
    assert_eq!(back.file_name(), "a.jpg");
    assert_eq!(back.relative_path(), "photos/2024/a.jpg");
    assert_eq!(back.approved(), ANY);
    // No path, or an empty one: the file name, as before.
    for none in [None, Some("")] {
        let k = keys.issue_at(&alice(), "b.txt", none, ANY).unwrap();
        assert_eq!(tail(&k.to_string(), "uploads"), "b.txt");
    }
}

#[test]
fn empty_dot_and_hostile_segments_are_sanitized() {
    let keys = issuer("uploads");
    for (path, want) in [
        ("/top//./sub/", "top/sub"),
        ("top\\sub\\c.txt", "top/sub/c.txt"),
        ("t\u{202E}op/\u{0}x\n.txt", "top/x.txt"),
        ("e\u{301}/ . /f", "\u{e9}/file/f"),
        ("...../a", "file/a"),
    ] {
        let k = keys.issue_at(&alice(), "x", Some(path), ANY).unwrap();
        assert_eq!(tail(&k.to_string(), "uploads"), want, "{path:?}");
        assert!(keys.parse_for(&k.to_string(), &alice()).is_ok());
    }
}

#[test]
fn parent_segments_empty_deep_and_long_paths_are_refused() {
    let keys = issuer("uploads");
    let refuse = |p: &str| keys.issue_at(&alice(), "x", Some(p), ANY).unwrap_err();
    assert_eq!(refuse("a/../../b"), PathError::Parent);
    assert_eq!(refuse("..\\etc\\passwd"), PathError::Parent);
    assert_eq!(refuse("//./"), PathError::Empty);
    assert_eq!(
        refuse(&vec!["d"; MAX_PATH_DEPTH + 4].join("/")),
        PathError::TooDeep {
            depth: MAX_PATH_DEPTH + 4
        }
    );
    assert!(matches!(
        refuse(&vec!["n".repeat(150); 4].join("/")),
        PathError::TooLong { bytes } if bytes > MAX_PATH_BYTES
    ));
    // A path within its own bound that, under a long prefix, makes a key S3 refuses.
    let long_prefix = issuer(&"p".repeat(600));
    let e = long_prefix
        .issue_at(
            &alice(),
            "x",
            Some(&vec!["q".repeat(150); 3].join("/")),
            ANY,
        )
        .unwrap_err();
    assert!(matches!(e, PathError::KeyTooLong { bytes } if bytes > MAX_KEY_BYTES));
}

#[test]
fn a_changed_path_fails_the_tag_and_a_parent_segment_is_malformed() {
    let keys = issuer("uploads");
    let s = keys
        .issue_at(&alice(), "a", Some("dir/a"), ANY)
        .unwrap()
        .to_string();
    let moved = s.replace("/dir/a", "/other/a");
    assert_eq!(keys.parse_for(&moved, &alice()), Err(KeyError::Forged));
    let flat = s.replace("/dir/a", "/a");
    assert_eq!(keys.parse_for(&flat, &alice()), Err(KeyError::Forged));
    for bad in [
        s.replace("/dir/a", "/dir/../a"),
        s.replace("/dir/a", "/dir//a"),
        s.replace("/dir/a", "/dir/a/"),
        s.replace("/dir/a", "/dir/./a"),
    ] {
        assert_eq!(
            keys.parse_for(&bad, &alice()),
            Err(KeyError::Malformed),
            "{bad}"
        );
    }
}

proptest! {
    #[test]
    fn any_relative_path_is_refused_or_stays_in_the_namespace(
        path in "([a-z.]{0,3}|\\.\\.|\\PC{0,12})([/\\\\]([a-z.]{0,3}|\\.\\.|\\PC{0,12})){0,20}",
    ) {
        let keys = issuer("app/uploads");
        match keys.issue_at(&alice(), "f", Some(&path), ANY) {
            Ok(k) => {
                let s = k.to_string();
                prop_assert!(s.starts_with("app/uploads/alice/"));
                let t = tail(&s, "app/uploads");
                prop_assert!(t.split('/').count() <= MAX_PATH_DEPTH);
                prop_assert!(t.len() <= MAX_PATH_BYTES && s.len() <= MAX_KEY_BYTES);
                for seg in t.split('/') {
                    prop_assert!(!seg.is_empty() && seg != "." && seg != "..");
                }
                prop_assert_eq!(keys.parse_for(&s, &alice()), Ok(k));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
