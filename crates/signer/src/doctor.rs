//! `s3lift-signer doctor`: probes the configured store and bucket with the
//! signer's own credentials, the way browsers and the signer will use them,
//! and says what is wrong and how to fix it, before users find out one error
//! at a time.
//!
//! Every check is a real request: a preflight and a PUT with an `Origin` for
//! CORS, presigned PUTs and POST forms for what the store enforces. Probe
//! objects go under `<key prefix>/.s3lift-doctor/<uuid>/` and are deleted.

mod enforcement;
mod probes;
mod setup;

use serde::Serialize;

use crate::config::Settings;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The store does what s3lift needs.
    Pass,
    /// It does not; `fix` says what to do.
    Fail,
    /// The store lacks the feature; s3lift works around it where it can.
    NotSupported,
    /// Not run, because an earlier check it depends on failed.
    Skipped,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable machine name (`cors_etag`).
    pub check: &'static str,
    /// The outcome.
    pub status: Status,
    /// Whether the signer or the browser client cannot work without it.
    pub required: bool,
    /// What was seen.
    pub detail: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    pub(crate) fn pass(check: &'static str, required: bool, detail: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Pass,
            required,
            detail: detail.into(),
            fix: None,
        }
    }

    pub(crate) fn fail(
        check: &'static str,
        required: bool,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            check,
            status: Status::Fail,
            required,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub(crate) fn not_supported(
        check: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            check,
            status: Status::NotSupported,
            required: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Runs every check against the store `settings` name. `credentials`
/// replaces the AWS credential chain (the embedded dev store's).
pub async fn run(
    settings: &Settings,
    credentials: Option<aws_credential_types::Credentials>,
) -> Vec<Finding> {
    probes::Probe::run(settings, credentials).await
}

/// The process exit code for `findings`: 1 when a required check failed.
pub fn exit_code(findings: &[Finding]) -> i32 {
    let failed = findings
        .iter()
        .any(|f| f.required && matches!(f.status, Status::Fail | Status::Skipped));
    i32::from(failed)
}

/// One line per check, for a terminal: `✔`, `✘`, `–` (not supported) or
/// `·` (skipped), the check, what was seen, and the fix.
pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let mark = match f.status {
            Status::Pass => "✔",
            Status::Fail => "✘",
            Status::NotSupported => "– not supported:",
            Status::Skipped => "· skipped:",
        };
        let need = if f.required { "" } else { " (optional)" };
        out.push_str(&format!("{mark} {}{need}: {}\n", f.check, f.detail));
        if let Some(fix) = f.fix.as_ref().filter(|_| f.status != Status::Pass) {
            out.push_str(&format!("    fix: {fix}\n"));
        }
    }
    let failed = findings
        .iter()
        .filter(|f| f.required && f.status == Status::Fail)
        .count();
    out.push_str(&match failed {
        0 => "every required check passed\n".to_owned(),
        n => format!("{n} required check(s) failed\n"),
    });
    out
}

/// What the signer does about the store's features (`S3LIFT_STORE_POST_POLICY`,
/// `S3LIFT_STORE_CHECKSUMS`), decided once at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFeatures {
    /// Small files may go as POST forms; otherwise they go as presigned PUTs.
    pub post_policy: bool,
    /// A requested CRC64NVME is signed into the PUT; otherwise it is dropped.
    pub checksums: bool,
}

/// The settings' `on`/`off`, and for `auto` the finding of `doctor`'s own
/// check: POST forms count only when their size range is enforced too, and
/// checksums only when a wrong value is refused. A store that cannot be
/// reached at start is taken to have both (the next start probes again).
pub async fn store_features(
    settings: &Settings,
    credentials: Option<aws_credential_types::Credentials>,
) -> StoreFeatures {
    use crate::config::StoreFeature::{Auto, Off, On};
    let (post, sums) = (settings.store.post_policy, settings.store.checksums);
    let probed = if post == Auto || sums == Auto {
        probes::Probe::features(settings, credentials).await
    } else {
        None
    };
    let pass = |f: &Finding| f.status == Status::Pass;
    let decide = |setting: crate::config::StoreFeature, found: Option<bool>, name: &str| match (
        setting, found,
    ) {
        (On, _) => true,
        (Off, _) => false,
        (Auto, Some(v)) => {
            tracing::info!(
                "{name}=auto: the store {}",
                if v { "has it" } else { "lacks it" }
            );
            v
        }
        (Auto, None) => {
            tracing::warn!("{name}=auto: the store could not be probed; assuming it has it");
            true
        }
    };
    StoreFeatures {
        post_policy: decide(
            post,
            probed.as_ref().map(|(p, _)| p.iter().all(pass)),
            "S3LIFT_STORE_POST_POLICY",
        ),
        checksums: decide(
            sums,
            probed.as_ref().map(|(_, c)| pass(c)),
            "S3LIFT_STORE_CHECKSUMS",
        ),
    }
}
