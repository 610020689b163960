//! The state file: the engine's resume records by fingerprint, so that a
//! killed run continues where it stopped. Written whole after every change,
//! through a temporary file and a rename, so a kill at any instant leaves
//! either the old file or the new one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use s3lift_protocol::resume::{ResumeRecord, DEFAULT_RESUME_TTL_MS};
use serde::{Deserialize, Serialize};

/// What the file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Contents {
    /// Format version.
    version: u32,
    /// Fingerprint → record.
    uploads: BTreeMap<String, ResumeRecord>,
}

/// The records of one run, mirrored to disk.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    contents: Contents,
}

impl StateFile {
    /// Reads `path`; a missing file is an empty state, an unreadable or
    /// malformed one is an error (it may hold uploads worth resuming).
    pub fn load(path: &Path) -> Result<StateFile, String> {
        let contents = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "the state file {} is not valid ({e}); move it away to start over",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Contents {
                version: 1,
                ..Contents::default()
            },
            Err(e) => {
                return Err(format!(
                    "cannot read the state file {}: {}",
                    path.display(),
                    e.kind()
                ))
            }
        };
        let mut contents = contents;
        // Records past their lifetime (a file changed, or never run again)
        // would only grow the file: the engine would not use them.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64);
        contents
            .uploads
            .retain(|_, r| r.is_fresh(now, DEFAULT_RESUME_TTL_MS));
        Ok(StateFile {
            path: path.to_owned(),
            contents,
        })
    }

    /// The record saved for `fingerprint`, if any.
    pub fn get(&self, fingerprint: &str) -> Option<ResumeRecord> {
        self.contents.uploads.get(fingerprint).cloned()
    }

    /// Saves `record` under its fingerprint and writes the file.
    pub fn save(&mut self, record: ResumeRecord) -> std::io::Result<()> {
        self.contents
            .uploads
            .insert(record.fingerprint.clone(), record);
        self.write()
    }

    /// Forgets `fingerprint`; the file is removed once it holds nothing.
    pub fn forget(&mut self, fingerprint: &str) -> std::io::Result<()> {
        if self.contents.uploads.remove(fingerprint).is_none() {
            return Ok(());
        }
        if self.contents.uploads.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        self.write()
    }

    fn write(&self) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(&self.contents).map_err(std::io::Error::other)?;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".into());
        let tmp = self
            .path
            .with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fp: &str) -> ResumeRecord {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as f64;
        ResumeRecord {
            upload_id: "u".into(),
            key: "k".into(),
            part_size: 5 << 20,
            fingerprint: fp.into(),
            created_at: now - 1000.0,
            completing: false,
        }
    }

    #[test]
    fn records_past_their_lifetime_are_dropped_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut s = StateFile::load(&path).unwrap();
        s.save(record("fresh")).unwrap();
        s.save(ResumeRecord {
            created_at: record("old").created_at - DEFAULT_RESUME_TTL_MS,
            ..record("old")
        })
        .unwrap();
        let again = StateFile::load(&path).unwrap();
        assert!(again.get("fresh").is_some());
        assert_eq!(again.get("old"), None);
    }

    #[test]
    fn records_survive_a_reload_and_the_file_goes_when_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut s = StateFile::load(&path).unwrap();
        s.save(record("a")).unwrap();
        s.save(record("b")).unwrap();
        let mut again = StateFile::load(&path).unwrap();
        assert_eq!(again.get("a").map(|r| r.fingerprint), Some("a".into()));
        again.forget("a").unwrap();
        assert_eq!(StateFile::load(&path).unwrap().get("a"), None);
        again.forget("b").unwrap();
        assert!(!path.exists());
        // Only the state file was ever in the directory (no temporary left).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        std::fs::write(&path, b"{not json").unwrap();
        assert!(StateFile::load(&path).unwrap_err().contains("not valid"));
    }
}
