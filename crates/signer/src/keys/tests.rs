//! Keys: their shape, their namespace, and forgeries of any field refused.

use super::*;
use proptest::prelude::*;

const SECRET: &str = "unit-test-key-secret-0123456789abcdef";

fn issuer(prefix: &str) -> KeyIssuer {
    KeyIssuer::new(prefix, &Secret::new(SECRET))
}

fn caller(name: &str) -> Caller {
    Caller::parse(name).unwrap()
}

fn alice() -> Caller {
    caller("alice")
}

/// The key with its UUID's custom bits replaced by `f(custom)` and the
/// UUID re-packed: what an attacker who read keys.rs would send.
fn repack(key: &str, f: impl Fn(u128) -> u128) -> String {
    // From the right: the prefix may hold `/`, the name never does.
    let segs: Vec<&str> = key.rsplitn(3, '/').collect();
    let (id, tag) = segs[1].split_once('.').unwrap();
    let custom = unpack_v8(Uuid::parse_str(id).unwrap().as_u128()).unwrap();
    let id = Uuid::from_u128(pack_v8(f(custom) & ((1 << 122) - 1)));
    format!("{}/{}.{tag}/{}", segs[2], id.hyphenated(), segs[0])
}

#[test]
fn key_shape_and_namespace() {
    let keys = issuer("uploads");
    let approved = Approved {
        size: Some(10),
        part_size: None,
    };
    let k = keys.issue(&alice(), "../../etc/passwd", approved);
    let s = k.to_string();
    assert!(s.starts_with("uploads/alice/"), "{s}");
    assert_eq!(s.matches('/').count(), 3, "{s}");
    let back = keys.parse_for(&s, &alice()).unwrap();
    assert_eq!(back, k);
    assert_eq!(back.approved(), approved);
    assert_eq!(keys.parse_for(&s, &caller("bob")), Err(KeyError::NotYours));
    assert_eq!(
        issuer("other").parse_for(&s, &alice()),
        Err(KeyError::Malformed)
    );
    let no_tag = s.replacen(&format!(".{}", hex::encode(k.tag)), "", 1);
    let short_tag = s.replacen(
        &format!(".{}", hex::encode(k.tag)),
        &format!(".{}", &hex::encode(k.tag)[..16]),
        1,
    );
    for bad in [
        "uploads/alice/x/y",
        "uploads/alice",
        "uploads/../alice/0000/y",
        "uploads/alice/550e8400-e29b-41d4-a716-446655440000/y", // a v4 uuid: not ours
        &no_tag, // a key of the old, unauthenticated layout
        &short_tag,
        &s.replacen("uploads/", "uploads//", 1),
        &format!("{s}/../../x"),
        &s.to_uppercase(),
    ] {
        assert!(keys.parse_for(bad, &alice()).is_err(), "{bad}");
    }
}

#[test]
fn the_issue_12_forgery_is_refused() {
    // A key approved for 10 bytes, re-packed to claim 5 TiB in 5 GiB parts.
    let keys = issuer("uploads");
    let k = keys
        .issue(
            &alice(),
            "a.bin",
            Approved {
                size: Some(10),
                part_size: None,
            },
        )
        .to_string();
    let forged = repack(&k, |c| {
        let random = c & ((1 << RANDOM_BITS) - 1);
        let size = (5u128 << 40) + 1;
        (size << (PART_BITS + RANDOM_BITS)) | (5120 << RANDOM_BITS) | random
    });
    assert_eq!(
        keys.parse(&forged).unwrap().approved(),
        Approved {
            size: Some(5 << 40),
            part_size: Some(5 << 30)
        },
        "the forgery decodes to the plan it claims"
    );
    assert_eq!(keys.parse_for(&forged, &alice()), Err(KeyError::Forged));
}

#[test]
fn replicas_share_keys_only_with_the_same_secret() {
    let k = issuer("uploads")
        .issue(
            &alice(),
            "a.bin",
            Approved {
                size: Some(1),
                part_size: None,
            },
        )
        .to_string();
    assert!(issuer("uploads").parse_for(&k, &alice()).is_ok());
    let other = KeyIssuer::new(
        "uploads",
        &Secret::new("another-secret-of-32-bytes-or-more!!"),
    );
    assert_eq!(other.parse_for(&k, &alice()), Err(KeyError::Forged));
}

#[test]
fn the_secret_is_not_in_debug_output() {
    let d = format!("{:?}", issuer("uploads"));
    assert!(!d.contains(SECRET) && d.contains("***"), "{d}");
    let g = generate_secret();
    assert_eq!(g.expose().len(), 64);
    assert_ne!(g, generate_secret());
}

/// A field of a key an attacker may change.
#[derive(Debug, Clone)]
enum Tamper {
    SizeBit(u32),
    PartBit(u32),
    RandomBit(u32),
    TagBit(usize),
    Caller(String),
    Name(String),
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (0..SIZE_BITS).prop_map(Tamper::SizeBit),
        (0..PART_BITS).prop_map(Tamper::PartBit),
        (0..RANDOM_BITS).prop_map(Tamper::RandomBit),
        (0..TAG_BYTES * 8).prop_map(Tamper::TagBit),
        "[a-z0-9@._-]{1,20}".prop_map(Tamper::Caller),
        "[a-zA-Z0-9 ._-]{1,40}".prop_map(Tamper::Name),
    ]
}

proptest! {
    #[test]
    fn any_tampered_field_fails_the_mac(
        size in proptest::option::of(0u64..=5 * 1024 * 1024 * MIB),
        part in proptest::option::of(5u64..=5120),
        name in "\\PC{1,60}",
        t in tamper(),
    ) {
        let keys = issuer("app/uploads");
        let k = keys.issue(&alice(), &name, Approved { size, part_size: part.map(|p| p * MIB) });
        let s = k.to_string();
        let (who, forged) = match &t {
            Tamper::SizeBit(b) => ("alice".to_owned(), repack(&s, |c| c ^ (1 << (PART_BITS + RANDOM_BITS + b)))),
            Tamper::PartBit(b) => ("alice".to_owned(), repack(&s, |c| c ^ (1 << (RANDOM_BITS + b)))),
            Tamper::RandomBit(b) => ("alice".to_owned(), repack(&s, |c| c ^ (1 << b))),
            Tamper::TagBit(b) => {
                let mut tag = k.tag;
                tag[b / 8] ^= 1 << (b % 8);
                ("alice".to_owned(), s.replacen(&hex::encode(k.tag), &hex::encode(tag), 1))
            }
            Tamper::Caller(c) => {
                prop_assume!(c != "alice" && Caller::parse(c).is_ok());
                (c.clone(), s.replacen("/alice/", &format!("/{c}/"), 1))
            }
            Tamper::Name(n) => {
                let n = sanitize_filename(n);
                prop_assume!(n != k.name);
                ("alice".to_owned(), format!("{}{n}", &s[..s.len() - k.name.len()]))
            }
        };
        prop_assert_ne!(&forged, &s);
        prop_assert_eq!(keys.parse_for(&forged, &caller(&who)), Err(KeyError::Forged), "{:?}", t);
    }

    #[test]
    fn approved_round_trips(size in proptest::option::of(0u64..=5 * 1024 * 1024 * MIB), part in proptest::option::of(5u64..=5120)) {
        let keys = issuer("a/b");
        let approved = Approved { size, part_size: part.map(|p| p * MIB) };
        let k = keys.issue(&alice(), "f.bin", approved);
        let back = keys.parse_for(&k.to_string(), &alice()).unwrap();
        prop_assert_eq!(back.approved(), approved);
    }

    #[test]
    fn any_filename_stays_in_the_namespace(name in "\\PC{0,300}") {
        let keys = issuer("uploads");
        let k = keys.issue(&alice(), &name, Approved { size: None, part_size: None }).to_string();
        prop_assert!(k.starts_with("uploads/alice/"));
        prop_assert_eq!(k.matches('/').count(), 3);
        prop_assert!(keys.parse_for(&k, &alice()).is_ok());
    }
}
