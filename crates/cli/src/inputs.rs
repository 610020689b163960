//! The files named on the command line: directories are walked
//! recursively, and each file gets the name the signer sees (its path
//! relative to the argument's parent, with `/` separators).

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// One file to upload.
#[derive(Debug, Clone)]
pub struct Input {
    /// Where it is on disk, as reached from the argument.
    pub path: PathBuf,
    /// The name sent to the signer: `dir/sub/a.txt` for a file found in
    /// `dir`, or the bare file name for a file argument.
    pub name: String,
    /// Size in bytes when it was listed.
    pub size: u64,
    /// Last modification, ms since the epoch (part of the fingerprint).
    pub mtime_ms: f64,
    /// The canonical path (part of the fingerprint, so another working
    /// directory finds the same record).
    pub canonical: String,
    /// Declared content type, from the extension.
    pub content_type: String,
}

/// Lists every file under `args`, in a stable order. An error names the
/// argument that could not be read.
pub fn collect(args: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for arg in args {
        let meta = std::fs::metadata(arg)
            .map_err(|e| format!("cannot read {}: {}", arg.display(), e.kind()))?;
        if meta.is_dir() {
            let base = file_name(arg);
            walk(arg, &base, &mut out)?;
        } else if meta.is_file() {
            out.push(input(arg, file_name(arg), &meta)?);
        } else {
            return Err(format!("{} is not a file or a directory", arg.display()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<Input>) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {}", dir.display(), e.kind()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        // Follows symlinks, as `cp -r` users expect of a file argument.
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, &rel, out)?;
        } else if meta.is_file() {
            out.push(input(&path, rel, &meta)?);
        }
    }
    Ok(())
}

fn input(path: &Path, name: String, meta: &std::fs::Metadata) -> Result<Input, String> {
    let mtime_ms = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_millis() as f64);
    let canonical = std::fs::canonicalize(path)
        .map_err(|e| format!("cannot read {}: {}", path.display(), e.kind()))?
        .to_string_lossy()
        .into_owned();
    Ok(Input {
        path: path.to_owned(),
        content_type: content_type(&name).to_owned(),
        name,
        size: meta.len(),
        mtime_ms,
        canonical,
    })
}

/// The last component of `p` (`.` and `..` resolved), or empty.
fn file_name(p: &Path) -> String {
    if let Some(n) = p.file_name() {
        return n.to_string_lossy().into_owned();
    }
    std::fs::canonicalize(p)
        .ok()
        .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// A content type from the extension; the signer may refuse some.
pub fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" | "md" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_keep_relative_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("photos");
        std::fs::create_dir_all(root.join("2024/may")).unwrap();
        std::fs::write(root.join("a.txt"), b"a").unwrap();
        std::fs::write(root.join("2024/may/b.jpg"), b"bb").unwrap();
        let got = collect(&[root.clone(), root.join("a.txt")]).unwrap();
        let names: Vec<_> = got.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["photos/2024/may/b.jpg", "photos/a.txt", "a.txt"]);
        assert_eq!(got[0].size, 2);
        assert_eq!(got[0].content_type, "image/jpeg");
        let err = collect(&[root.join("nope")]).unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }
}
