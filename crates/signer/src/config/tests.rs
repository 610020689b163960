//! Settings: defaults, layering, validation, and secrets kept out of `Debug`.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_need_only_a_bucket() {
    let s = Settings::load(None, &env(&[("S3LIFT_S3_BUCKET", "b-1")])).unwrap();
    assert_eq!(s.server.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(s.uploads.url_ttl, 600);
    assert_eq!(s.uploads.key_prefix, "uploads");
    assert!(!s.auth.allow_anonymous);
    assert_eq!(
        s.uploads.key_secret, None,
        "serving refuses to start without one"
    );
    assert!(!s.uploads.allow_unsized_multipart);
    assert_eq!(s.uploads.unsized_part_rate, DEFAULT_UNSIZED_PART_RATE);
}

#[test]
fn plan_settings_are_read_from_the_file_and_the_environment() {
    let dir = std::env::temp_dir().join(format!("s3lift-cfg-plans-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.toml");
    std::fs::write(
        &path,
        "s3_bucket = \"b-1\"\nkey_secret = \"file-secret-0123456789abcdef0123456789\"\n\
         allow_unsized_multipart = true\nunsized_part_rate = 60\n",
    )
    .unwrap();
    let s = Settings::load(Some(&path), &env(&[])).unwrap();
    assert_eq!(
        s.uploads.key_secret.as_ref().unwrap().expose(),
        "file-secret-0123456789abcdef0123456789"
    );
    assert!(s.uploads.allow_unsized_multipart);
    assert_eq!(s.uploads.unsized_part_rate, 60);
    let s = Settings::load(
        Some(&path),
        &env(&[
            (
                "S3LIFT_KEY_SECRET",
                "env-secret-0123456789abcdef0123456789ab",
            ),
            ("S3LIFT_ALLOW_UNSIZED_MULTIPART", "false"),
            ("S3LIFT_UNSIZED_PART_RATE", "7"),
        ]),
    )
    .unwrap();
    assert_eq!(
        s.uploads.key_secret.as_ref().unwrap().expose(),
        "env-secret-0123456789abcdef0123456789ab"
    );
    assert!(!s.uploads.allow_unsized_multipart);
    assert_eq!(s.uploads.unsized_part_rate, 7);
    assert!(
        !format!("{s:?}").contains("env-secret"),
        "Debug shows no secret"
    );
}

#[test]
fn environment_wins_over_the_file() {
    let dir = std::env::temp_dir().join(format!("s3lift-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.toml");
    std::fs::write(
        &path,
        "s3_bucket = \"from-file\"\nurl_ttl = 30\nmax_size = 100\n",
    )
    .unwrap();
    let s = Settings::load(Some(&path), &env(&[("S3LIFT_URL_TTL", "45")])).unwrap();
    assert_eq!(s.store.bucket, "from-file");
    assert_eq!(s.uploads.url_ttl, 45);
    assert_eq!(s.uploads.max_size, 100);
}

#[test]
fn errors_name_the_setting_and_hide_secrets() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "S3LIFT_S3_BUCKET"),
        (
            &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_BIND", "nope")],
            "S3LIFT_BIND",
        ),
        (
            &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_URL_TTL", "0")],
            "S3LIFT_URL_TTL",
        ),
        (
            &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_SSE", "rot13")],
            "S3LIFT_SSE",
        ),
        (
            &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_MAX_SIZE", "-1")],
            "S3LIFT_MAX_SIZE",
        ),
        (
            &[
                ("S3LIFT_S3_BUCKET", "b-1"),
                ("S3LIFT_ALLOWED_TYPES", "image"),
            ],
            "S3LIFT_ALLOWED_TYPES",
        ),
        (&[("S3LIFT_S3_BUCKET", "B_B")], "S3LIFT_S3_BUCKET"),
        (
            &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_KEY_PREFIX", "../x")],
            "S3LIFT_KEY_PREFIX",
        ),
        (
            &[
                ("S3LIFT_S3_BUCKET", "b-1"),
                ("S3LIFT_ALLOW_ANONYMOUS", "maybe"),
            ],
            "S3LIFT_ALLOW_ANONYMOUS",
        ),
    ];
    for (pairs, setting) in cases {
        let e = Settings::load(None, &env(pairs)).unwrap_err().to_string();
        assert!(e.contains(setting), "{e} should name {setting}");
    }
    let e = Settings::load(
        None,
        &env(&[
            ("S3LIFT_S3_BUCKET", "b-1"),
            ("S3LIFT_STATIC_TOKENS", "sup3rs3cr3t=bad/caller"),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("S3LIFT_STATIC_TOKENS") && !e.contains("sup3rs3cr3t"),
        "{e}"
    );
    let e = Settings::load(
        None,
        &env(&[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_JWT_SECRET", "short")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("S3LIFT_JWT_SECRET") && !e.contains("short"),
        "{e}"
    );
    for (setting, value) in [
        ("S3LIFT_KEY_SECRET", "too-short-key-secret"),
        ("S3LIFT_ALLOW_UNSIZED_MULTIPART", "sometimes"),
        ("S3LIFT_UNSIZED_PART_RATE", "0"),
        ("S3LIFT_UNSIZED_PART_RATE", "fast"),
    ] {
        let e = Settings::load(None, &env(&[("S3LIFT_S3_BUCKET", "b-1"), (setting, value)]))
            .unwrap_err()
            .to_string();
        assert!(e.contains(setting), "{e} should name {setting}");
        if setting == "S3LIFT_KEY_SECRET" {
            assert!(!e.contains(value), "{e} shows the secret");
        }
    }
}

#[test]
fn webhook_needs_a_long_secret_and_metrics_bind_parses() {
    let hook = [
        ("S3LIFT_S3_BUCKET", "b-1"),
        ("S3LIFT_WEBHOOK_URL", "http://hook.example/x"),
    ];
    let e = Settings::load(None, &env(&hook)).unwrap_err().to_string();
    assert!(e.contains("S3LIFT_WEBHOOK_SECRET"), "{e}");
    let mut short = hook.to_vec();
    short.push(("S3LIFT_WEBHOOK_SECRET", "tooshort"));
    let e = Settings::load(None, &env(&short)).unwrap_err().to_string();
    assert!(
        e.contains("S3LIFT_WEBHOOK_SECRET") && !e.contains("tooshort"),
        "{e}"
    );
    let mut ok = hook.to_vec();
    ok.push(("S3LIFT_WEBHOOK_SECRET", "0123456789abcdef0123456789abcdef"));
    ok.push(("S3LIFT_METRICS_BIND", "127.0.0.1:9090"));
    let s = Settings::load(None, &env(&ok)).unwrap();
    assert_eq!(s.server.metrics_bind.unwrap().port(), 9090);
    let e = Settings::load(
        None,
        &env(&[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_METRICS_BIND", "nope")]),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("S3LIFT_METRICS_BIND"), "{e}");
}

#[test]
fn secrets_do_not_debug_print() {
    assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    let s = Settings::load(
        None,
        &env(&[
            ("S3LIFT_S3_BUCKET", "b-1"),
            ("S3LIFT_STATIC_TOKENS", "tok-hunter2-xyz-0001=alice"),
            ("S3LIFT_JWT_SECRET", "jwt-hunter2-jwt-hunter2-jwt-hunter2"),
            (
                "S3LIFT_WEBHOOK_URL",
                "https://hooks.example/x?token=hook-hunter2",
            ),
            (
                "S3LIFT_WEBHOOK_SECRET",
                "whsec-hunter2-whsec-hunter2-whsec-hunter2",
            ),
        ]),
    )
    .unwrap();
    let printed = format!("{s:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(printed.contains("StaticTokens(1 tokens)"), "{printed}");
}

#[test]
fn values_are_typed_once() {
    let s = Settings::load(
        None,
        &env(&[
            ("S3LIFT_S3_BUCKET", "b-1"),
            ("S3LIFT_ALLOWED_TYPES", "image/*, application/pdf"),
        ]),
    )
    .unwrap();
    assert_eq!(s.uploads.allowed_types.len(), 2);
    assert!(s.uploads.allowed_types[0]
        .matches(&crate::content_type::ContentType::parse("image/png").unwrap()));
}
