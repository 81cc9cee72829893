//! When a record is compacted, and by whom.
//!
//! An update appends its change to the record, so the record grows by every write until it is
//! compacted: rewritten with its live fields, each once. It may grow until it would outgrow the
//! size class above the one Redis allocates for its compacted form: small changes then take
//! several writes to fill that room, and a record never holds more than one size class (a
//! quarter, or 16 bytes under 128) of history.
//!
//! The writer that loaded the record decides, from the record as loaded ([`AsLoaded`], which
//! the Redis store's [`Revision`] holds) and its change: when the record is due, it sends the
//! compacted form, which the script writes if the record is still as loaded. A writer that did
//! not load the record, or finds it changed, leaves compaction to the script
//! (`scripts/record.lua`), which is slower at it.
//!
//! Deciding exactly needs the record resolved with the change, which costs more than the rest
//! of a small write. So the writer measures against the record as loaded (its live length, which
//! the load computed) and resolves only when appending would pass that threshold, or when the
//! change removes fields (a removal can shrink the record by a size class at once). A record
//! whose sets grow or shrink it is measured anew by the next load: it never grows past the size
//! class above the one its last load measured.

use super::{EncodedChange, encode_fields, item_len, resolve_then};
use crate::store::{Change, Revision};

/// A record as this request loaded it: its bytes, and its length once compacted.
pub(in crate::store::redis) struct AsLoaded<'a> {
    bytes: &'a [u8],
    compacted: usize,
}

impl<'a> AsLoaded<'a> {
    /// The revision that hands `bytes`, which compact to `compacted` bytes, to the next write.
    pub(in crate::store::redis) fn revision(bytes: Vec<u8>, compacted: usize) -> Revision {
        Revision::new(bytes, compacted as u64)
    }

    /// The record as the change's writer loaded it, if it did.
    pub(in crate::store::redis) fn of(change: &Change<'a>) -> Option<Self> {
        let revision = change.base?;
        Some(Self {
            bytes: revision.bytes(),
            compacted: usize::try_from(revision.number()).unwrap_or(usize::MAX),
        })
    }

    /// The record's bytes.
    pub(in crate::store::redis) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// How an update writes its change.
pub(in crate::store::redis) struct Plan {
    /// Compact the record once it would be longer than this.
    pub(in crate::store::redis) threshold: usize,
    /// The record as loaded with the change applied, compacted, when appending the change
    /// would take it past the threshold.
    pub(in crate::store::redis) compacted: Option<String>,
}

impl Plan {
    /// The plan for writing `change` to the record `base` as loaded, or to a record this writer
    /// did not load (`None`), whose compaction is left to the next writer that does.
    pub(in crate::store::redis) fn new(base: Option<&AsLoaded<'_>>, change: &Change<'_>) -> Self {
        let unknown = Self {
            threshold: usize::MAX,
            compacted: None,
        };
        let Some(base) = base else {
            return unknown;
        };
        let length = base.bytes.len() + EncodedChange(change).len();
        let loaded = compaction_threshold(base.compacted);
        if change.remove.is_empty() && length <= loaded {
            return Self {
                threshold: loaded,
                compacted: None,
            };
        }
        let Some(text) = std::str::from_utf8(base.bytes).ok() else {
            return unknown;
        };
        let removals = change.remove.iter().map(|name| (*name, ""));
        let Ok(fields) = resolve_then(text, change.set.iter().copied().chain(removals)) else {
            return unknown;
        };
        let live = fields
            .iter()
            .map(|(name, value)| item_len(name) + item_len(value))
            .sum();
        let threshold = compaction_threshold(live);
        Self {
            threshold,
            compacted: (length > threshold).then(|| encode_fields(&fields)),
        }
    }

    /// The record `base` becomes with `change` applied, as `update.lua` would leave it: compacted
    /// when due, otherwise with the change appended.
    pub(in crate::store::redis) fn updated(self, base: &[u8], change: &Change<'_>) -> Vec<u8> {
        if let Some(compacted) = self.compacted {
            return compacted.into_bytes();
        }
        let appended = EncodedChange(change);
        let mut record = Vec::with_capacity(base.len() + appended.len());
        record.extend_from_slice(base);
        // Into a vector, which cannot fail.
        let _ = appended.write_to(&mut record);
        record
    }
}

/// The longest a record whose live fields take `live` bytes may grow, by appended changes,
/// before it is compacted: the length that fills the size class above the allocation of its
/// compacted form.
fn compaction_threshold(live: usize) -> usize {
    let next = size_class(allocation(live) + 1);
    next - string_overhead(next)
}

/// Bytes Redis adds to a string of `length` bytes: its sds header and terminating zero.
fn string_overhead(length: usize) -> usize {
    match length {
        0..256 => 4,
        256..65_536 => 6,
        _ => 10,
    }
}

/// What Redis allocates for a string of `length` bytes.
fn allocation(length: usize) -> usize {
    size_class(length + string_overhead(length))
}

/// The allocator's size class for a request of `size` bytes: jemalloc rounds up to one of four
/// classes per power of two (16-byte steps up to 128).
fn size_class(size: usize) -> usize {
    if size <= 128 {
        return size.div_ceil(16) * 16;
    }
    let step = 1 << ((size - 1).ilog2() - 2);
    size.div_ceil(step) * step
}

#[cfg(test)]
mod tests {
    use super::super::tests::change;
    use super::*;

    /// A record as loaded, measured as its load would.
    fn loaded(record: &str) -> AsLoaded<'_> {
        let compacted = super::super::decode(record.as_bytes()).map_or(0, |(_, length)| length);
        AsLoaded {
            bytes: record.as_bytes(),
            compacted,
        }
    }

    #[test]
    fn a_record_may_grow_into_the_size_class_above_its_compacted_form() {
        // 199 bytes live: Redis allocates 224 bytes; the class above is 256, room for 250.
        assert_eq!(compaction_threshold(199), 250);
        // 1,060 bytes live: 1,280 allocated; the class above is 1,536.
        assert_eq!(compaction_threshold(1_060), 1_530);
        // 20 bytes live: 32 allocated; the class above is 48.
        assert_eq!(compaction_threshold(20), 44);
    }

    #[test]
    fn allocations_follow_the_allocators_size_classes() {
        let classes: Vec<usize> = [1, 44, 125, 231, 252, 253, 506, 507, 1_000]
            .into_iter()
            .map(allocation)
            .collect();
        assert_eq!(classes, [16, 48, 160, 256, 256, 320, 512, 640, 1_024]);
    }

    #[test]
    fn an_update_appends_the_change_until_the_record_is_due_for_compaction() {
        let base = encode_fields(&[("n", "1"), ("profile", "\"p\"")]);
        let small = change(&[("n", "2")], &[]);
        let plan = Plan::new(Some(&loaded(&base)), &small);
        assert!(plan.compacted.is_none());
        assert_eq!(
            plan.updated(base.as_bytes(), &small),
            format!("{base}|1:n1:2").as_bytes()
        );

        let long = format!("{base}{}", "|1:n1:3".repeat(40));
        let plan = Plan::new(Some(&loaded(&long)), &small);
        assert!(long.len() > plan.threshold);
        assert_eq!(
            plan.updated(long.as_bytes(), &small),
            b"1:n1:27:profile3:\"p\"",
            "compacted, as update.lua would"
        );
    }

    #[test]
    fn a_change_that_removes_most_of_the_record_compacts_it_at_once() {
        let big = "b".repeat(500);
        let base = encode_fields(&[("n", "1"), ("big", &big)]);
        let plan = Plan::new(Some(&loaded(&base)), &change(&[], &["big"]));
        assert_eq!(plan.compacted.as_deref(), Some("1:n1:1"));
    }

    #[test]
    fn a_compacted_record_keeps_its_fields_in_the_order_they_first_appeared() {
        let mut record = encode_fields(&[("n", "1"), ("gone", "true"), ("kept", "0")]);
        record.push_str(&"|5:later1:5".repeat(40));
        let plan = Plan::new(
            Some(&loaded(&record)),
            &change(&[("n", "2"), ("new", "\"x\"")], &["gone"]),
        );
        assert_eq!(
            plan.compacted.as_deref(),
            Some("1:n1:24:kept1:05:later1:53:new3:\"x\"")
        );
    }

    #[test]
    fn a_writer_that_did_not_load_the_record_leaves_compaction_to_others() {
        let plan = Plan::new(None, &change(&[("n", "1")], &[]));
        assert_eq!((plan.threshold, plan.compacted), (usize::MAX, None));
        let corrupt = Plan::new(Some(&loaded("1:n9:7")), &change(&[], &["n"]));
        assert_eq!(corrupt.threshold, usize::MAX);
    }
}
