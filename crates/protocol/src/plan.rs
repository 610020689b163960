//! S3 multipart part planning.
//!
//! S3 allows at most 10,000 parts, each between 5 MiB and 5 GiB except the
//! last, which may be smaller. Garage does not refuse small non-last parts
//! (AWS does), so the plan is the only thing that keeps an upload valid on
//! every store: it is made once, from the declared size, and both sides
//! follow it.

use crate::broken;
use core::fmt;
use core::num::NonZeroU32;
use core::str::FromStr;

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;
/// Smallest part S3 accepts, except for the last one.
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// Largest part S3 accepts.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// Most parts one upload can have.
pub const MAX_PARTS: u32 = 10_000;
/// Largest object S3 accepts.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;
/// Part size used when nobody prefers another.
pub const DEFAULT_PART_SIZE: u64 = 8 * MIB;

/// `a.div_ceil(b)` for a `b` known not to be zero: a zero is [`broken`],
/// not `div_ceil`'s divide-by-zero panic with its location and message.
fn div_ceil(a: u64, b: u64) -> u64 {
    let Some(b) = core::num::NonZeroU64::new(b) else {
        broken()
    };
    a / b + u64::from(a % b != 0)
}

/// The part size to ask for when the app names none.
///
/// The default, except for a file a little too big for one wave of
/// `concurrency` default parts (up to two waves): it goes in one part per slot,
/// of equal whole MiB. With the default size a 50 MiB file at 6 in flight
/// would be 6 parts and a 7th that waits for a slot, so the link idles for
/// one answer's latency between the two waves.
pub fn preferred_part_size(size: u64, concurrency: u32) -> u64 {
    let slots = u64::from(concurrency.max(1));
    if size <= slots * DEFAULT_PART_SIZE || size > slots * 2 * DEFAULT_PART_SIZE {
        return DEFAULT_PART_SIZE;
    }
    div_ceil(div_ceil(size, slots), MIB) * MIB
}

/// A part number, 1 ..= 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartNumber(NonZeroU32);

impl PartNumber {
    /// Checks that `n` is a valid S3 part number.
    pub fn new(n: u32) -> Result<Self, PlanError> {
        match NonZeroU32::new(n) {
            Some(v) if n <= MAX_PARTS => Ok(Self(v)),
            _ => Err(PlanError::BadPartNumber(n)),
        }
    }

    /// The number itself.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl FromStr for PartNumber {
    type Err = PlanError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only plain decimal digits: no sign, no whitespace, no leading `+`.
        if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PlanError::BadPartNumberText);
        }
        let n: u32 = s.parse().map_err(|_| PlanError::BadPartNumberText)?;
        Self::new(n)
    }
}

impl fmt::Display for PartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a plan or a part number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The object is larger than S3 allows.
    #[error("{size} bytes is more than the 5 TiB S3 allows for one object")]
    ObjectTooLarge {
        /// The declared size.
        size: u64,
    },
    /// A part size outside 5 MiB ..= 5 GiB.
    #[error("part size {0} is outside the 5 MiB to 5 GiB S3 allows")]
    BadPartSize(u64),
    /// The size and part size need more than 10,000 parts.
    #[error("{size} bytes in parts of {part_size} needs more than 10,000 parts")]
    TooManyParts {
        /// The declared size.
        size: u64,
        /// The part size.
        part_size: u64,
    },
    /// A part number outside 1 ..= 10,000.
    #[error("part number {0} is outside 1 to 10000")]
    BadPartNumber(u32),
    /// A part number that is not a plain decimal number.
    #[error("a part number must be a decimal number from 1 to 10000")]
    BadPartNumberText,
}

/// One part: its number and the byte range `start..end` of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRange {
    /// The part number.
    pub number: PartNumber,
    /// First byte (inclusive).
    pub start: u64,
    /// Last byte (exclusive).
    pub end: u64,
}

impl PartRange {
    /// Bytes in this part.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// True only for the single part of an empty object.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The parts of one object: fixed-size parts, the last one possibly shorter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    size: u64,
    part_size: u64,
    part_count: u32,
}

impl PartPlan {
    /// Plans `size` bytes, using `preferred` as the part size when it is
    /// valid and grows it (to a whole MiB) when the object would otherwise
    /// need more than 10,000 parts.
    pub fn new(size: u64, preferred: Option<u64>) -> Result<Self, PlanError> {
        if size > MAX_OBJECT_SIZE {
            return Err(PlanError::ObjectTooLarge { size });
        }
        let wanted = preferred
            .unwrap_or(DEFAULT_PART_SIZE)
            .clamp(MIN_PART_SIZE, MAX_PART_SIZE);
        let needed = div_ceil(size, u64::from(MAX_PARTS));
        let part_size = if wanted >= needed {
            wanted
        } else {
            div_ceil(needed, MIB) * MIB
        };
        Self::from_parts(size, part_size.min(MAX_PART_SIZE))
    }

    /// Rebuilds a plan from a size and part size agreed earlier.
    pub fn from_parts(size: u64, part_size: u64) -> Result<Self, PlanError> {
        if size > MAX_OBJECT_SIZE {
            return Err(PlanError::ObjectTooLarge { size });
        }
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return Err(PlanError::BadPartSize(part_size));
        }
        let count = div_ceil(size, part_size).max(1);
        if count > u64::from(MAX_PARTS) {
            return Err(PlanError::TooManyParts { size, part_size });
        }
        Ok(Self {
            size,
            part_size,
            part_count: count as u32,
        })
    }

    /// Object size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Size of every part but the last.
    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    /// Number of parts (at least 1, even for an empty object).
    pub fn part_count(&self) -> u32 {
        self.part_count
    }

    /// The byte range of part `n`, if the plan has it.
    pub fn part(&self, n: u32) -> Option<PartRange> {
        if n == 0 || n > self.part_count {
            return None;
        }
        let start = u64::from(n - 1) * self.part_size;
        let end = (start + self.part_size).min(self.size);
        Some(PartRange {
            number: PartNumber::new(n).ok()?,
            start,
            end,
        })
    }

    /// All parts in order.
    pub fn parts(&self) -> impl Iterator<Item = PartRange> + '_ {
        (1..=self.part_count).filter_map(|n| self.part(n))
    }

    /// The exact length part `n` must have.
    pub fn expected_len(&self, n: u32) -> Option<u64> {
        self.part(n).map(|p| p.len())
    }

    /// Checks uploaded `(part number, size)` pairs against the plan: every
    /// part must be one the plan has, with exactly the planned length, and
    /// the total must not exceed the planned size. Missing parts are not a
    /// violation here (the completer decides whether it has them all).
    pub fn check_uploaded(&self, parts: &[(u32, u64)]) -> Result<(), PlanViolation> {
        let mut total: u64 = 0;
        for &(n, len) in parts {
            total = total.saturating_add(len);
            if total > self.size {
                return Err(PlanViolation::TooLarge {
                    total,
                    approved: self.size,
                });
            }
            match self.expected_len(n) {
                None => {
                    return Err(PlanViolation::UnknownPart {
                        part: n,
                        count: self.part_count,
                    })
                }
                Some(want) if want != len => {
                    return Err(PlanViolation::WrongSize {
                        part: n,
                        expected: want,
                        actual: len,
                    })
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// How uploaded parts break a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanViolation {
    /// A part number the plan does not have.
    #[error("part {part} is not in the plan of {count} parts")]
    UnknownPart {
        /// The part number.
        part: u32,
        /// Parts in the plan.
        count: u32,
    },
    /// A part whose length differs from the plan.
    #[error("part {part} has {actual} bytes, the plan says {expected}")]
    WrongSize {
        /// The part number.
        part: u32,
        /// Planned length.
        expected: u64,
        /// Uploaded length.
        actual: u64,
    },
    /// More bytes than approved.
    #[error("the parts hold {total} bytes, more than the {approved} approved")]
    TooLarge {
        /// Bytes uploaded so far.
        total: u64,
        /// Bytes approved.
        approved: u64,
    },
}

#[cfg(test)]
mod tests;
