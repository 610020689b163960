//! Unit and property tests of the content-type parser (`content_type.rs`).

use super::*;
use proptest::prelude::*;

fn canon(s: &str) -> String {
    ContentType::parse(s).unwrap().as_str().to_owned()
}

#[test]
fn canonical_forms() {
    assert_eq!(canon("image/png"), "image/png");
    assert_eq!(canon("IMAGE/PNG"), "image/png");
    assert_eq!(
        canon("Text/Plain;Charset=UTF-8"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        canon("  text/plain ;  a=b;;  c=D  "),
        "text/plain; a=b; c=D"
    );
    assert_eq!(canon("text/plain;"), "text/plain");
    assert_eq!(canon("a/b; x=\"tok\""), "a/b; x=tok");
    assert_eq!(canon("a/b; x=\"two words\""), "a/b; x=\"two words\"");
    assert_eq!(canon("a/b; x=\"q\\\"q\""), "a/b; x=\"q\\\"q\"");
    assert_eq!(canon("a/b; x=\"\""), "a/b; x=\"\"");
    let t = ContentType::parse("Image/SVG+XML; charset=utf-8").unwrap();
    assert_eq!(t.essence(), "image/svg+xml");
    assert_eq!(t.main_type(), "image");
    assert_eq!(t.subtype(), "svg+xml");
    assert_eq!(
        ContentType::parse_or_default(None).unwrap().as_str(),
        DEFAULT
    );
    assert_eq!(
        ContentType::parse_or_default(Some("  ")).unwrap().as_str(),
        DEFAULT
    );
}

#[test]
fn the_reported_attacks_are_refused() {
    use ContentTypeError::*;
    for s in [
        "image/png;,text/html",
        "image/png,text/html",
        "image/png; x=\",text/html\"",
        "image/png, text/html",
    ] {
        assert_eq!(ContentType::parse(s), Err(Comma), "{s}");
    }
}

#[test]
fn malformed_types_are_refused() {
    use ContentTypeError::*;
    for s in [
        "nonsense",
        "image/",
        "/png",
        "image /png",
        "image/ png",
        "image/png x",
        "image/png; x",
        "image/png; x =y",
        "image/png; x= y",
        "image/png; x=\"open",
        "image/png; x=\"a  b\"",
        "image/png; =y",
        "image/png; x=a;x=b",
        "image/png; x=y\"z\"",
        "image/png/x",
        "image/png; x=\"a\"b",
        "(image)/png",
    ] {
        let e = ContentType::parse(s).unwrap_err();
        assert!(matches!(e, Syntax(_) | DuplicateParameter(_)), "{s}: {e:?}");
    }
    assert_eq!(
        ContentType::parse("text/plain\r\nx: y"),
        Err(NotVisibleAscii)
    );
    assert_eq!(ContentType::parse("text/plain;\tq=1"), Err(NotVisibleAscii));
    assert_eq!(
        ContentType::parse("text/plain; q=\"é\""),
        Err(NotVisibleAscii)
    );
    assert_eq!(
        ContentType::parse(&format!("a/{}", "b".repeat(MAX_LEN))),
        Err(TooLong)
    );
    // The canonical `; ` separators may push it past the bound.
    let long: String = std::iter::once("a/b".to_owned())
        .chain((10..52).map(|i| format!(";p{i}=v")))
        .collect();
    assert_eq!(long.len(), MAX_LEN);
    assert_eq!(ContentType::parse(&long), Err(TooLong));
}

#[test]
fn active_content() {
    for s in [
        "text/html",
        "TEXT/HTML; charset=utf-8",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "application/xslt+xml",
        "application/rss+xml",
        "application/xml-dtd",
        "text/xsl",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "text/ecmascript",
        "text/jscript",
        "unknown/unknown",
        "application/unknown",
        "*/*",
        "image/*",
        "multipart/x-mixed-replace; boundary=x",
    ] {
        assert!(ContentType::parse(s).unwrap().is_active(), "{s}");
    }
    for s in [
        "image/png",
        "image/jpeg",
        "application/pdf",
        "application/json",
        "text/plain",
        "text/csv",
        "video/mp4",
        "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
    ] {
        assert!(!ContentType::parse(s).unwrap().is_active(), "{s}");
    }
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
}

/// Any visible ASCII but the comma, spaces single: what a quoted value may hold.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        token(),
        "[ -~]{0,12}".prop_map(|v| {
            let mut v = v.replace(',', "");
            while v.contains("  ") {
                v = v.replace("  ", " ");
            }
            v
        }),
    ]
}

proptest! {
    #[test]
    fn never_panics_and_never_admits_a_comma(s in "\\PC{0,80}") {
        if let Ok(t) = ContentType::parse(&s) {
            prop_assert!(!t.as_str().contains(','));
            prop_assert!(t.as_str().len() <= MAX_LEN);
        }
    }

    #[test]
    fn canonical_is_a_fixed_point(
        main in token(),
        sub in token(),
        params in proptest::collection::vec((token(), value()), 0..4),
    ) {
        let mut s = format!("{main}/{sub}");
        for (n, v) in &params {
            s.push(';');
            s.push_str(n);
            s.push('=');
            push_value(&mut s, v);
        }
        match ContentType::parse(&s) {
            Ok(t) => {
                let again = ContentType::parse(t.as_str()).unwrap();
                prop_assert_eq!(again.as_str(), t.as_str());
                prop_assert_eq!(t.essence(), format!("{main}/{sub}").to_ascii_lowercase());
                prop_assert!(t.as_str().bytes().all(|b| b == b' ' || b.is_ascii_graphic()));
            }
            Err(ContentTypeError::DuplicateParameter(_) | ContentTypeError::TooLong) => {}
            Err(e) => prop_assert!(false, "{s}: {e}"),
        }
    }
}
