//! A cancel is kept: a file the user cancelled before anything of it could
//! have become its object (a complete, a confirm of a stored object, a
//! single upload) must not end as uploaded.

use std::collections::BTreeSet;

use s3lift_engine::{Action, FileId};

#[derive(Debug, Default)]
pub struct Cancels {
    /// Files with a complete, a confirm or a single upload sent (or a
    /// resume record that says its page sent a complete): a cancel may
    /// come too late to take the object back.
    committed: BTreeSet<FileId>,
    /// Files cancelled on this page before that.
    early: BTreeSet<FileId>,
}

impl Cancels {
    /// Notes an action the engine asked for.
    pub fn sent(&mut self, a: &Action) {
        match a {
            Action::Complete { file, .. } | Action::SendSingle { file, .. } => {
                self.committed.insert(*file);
            }
            Action::Confirm { files, .. } => self.committed.extend(files),
            _ => {}
        }
    }

    /// The user cancelled `f`.
    pub fn cancel(&mut self, f: FileId) {
        if !self.committed.contains(&f) {
            self.early.insert(f);
        }
    }

    /// A new page: it knows of no cancel, and of the completes its records
    /// say were sent.
    pub fn reload(&mut self, completing: impl Iterator<Item = FileId>) {
        self.early.clear();
        self.committed = completing.collect();
    }

    /// `f` ended as uploaded.
    pub fn uploaded(&self, f: FileId) -> Result<(), String> {
        if self.early.contains(&f) {
            return Err(format!(
                "{f:?} was cancelled before any complete or upload of its object went out, and ended as uploaded"
            ));
        }
        Ok(())
    }
}
