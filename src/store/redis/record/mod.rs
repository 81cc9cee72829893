//! A session record's bytes in Redis: one string holding all its fields.
//!
//! One string instead of a hash: a read is a single `GETEX` that also slides the expiry, and
//! Redis keeps a short string compactly whatever its values' sizes (a hash falls back to a
//! table, about half as large again, once one value passes 64 bytes).
//!
//! # Layout
//! An item is `<length>:<bytes>`, the length in bytes, in decimal. A field is two items, its name
//! and its value. A record starts with its fields, each name once (as created or as last
//! compacted). Every later write appends its change: `|`, then the fields it sets, then each
//! field it removes with an empty value (values are JSON text, never empty). So an update sends
//! the changed fields only; reading resolves the appended changes in order. When a record has
//! grown enough, it is compacted ([`compaction`]).

mod compaction;

use std::collections::HashMap;
use std::io::Write;

use deadpool_redis::redis::{RedisWrite, ToRedisArgs};

pub(super) use self::compaction::{AsLoaded, Plan};
use crate::store::{Change, Field};

/// Why stored bytes are not a session record.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored session record is malformed at byte {at}")]
pub(super) struct CorruptRecord {
    at: usize,
}

/// Marks the start of an appended change.
const CHANGE: char = '|';

/// The bytes of a new record holding `fields`.
pub(super) fn encode_fields(fields: &[(&str, &str)]) -> String {
    let mut record = String::with_capacity(encoded_len(fields));
    for (name, value) in fields {
        push_item(&mut record, name);
        push_item(&mut record, value);
    }
    record
}

/// The bytes appended to a record to apply a change, written straight into the command that
/// sends them.
pub(super) struct EncodedChange<'a>(pub(super) &'a Change<'a>);

impl EncodedChange<'_> {
    /// How many bytes it appends.
    pub(super) fn len(&self) -> usize {
        let Change { set, remove, .. } = self.0;
        let removals: usize = remove
            .iter()
            .map(|name| item_len(name) + item_len(""))
            .sum();
        let sets: usize = set
            .iter()
            .map(|(name, value)| item_len(name) + item_len(value))
            .sum();
        1 + sets + removals
    }

    fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(&[CHANGE as u8])?;
        for (name, value) in &self.0.set {
            write_item(out, name)?;
            write_item(out, value)?;
        }
        for name in &self.0.remove {
            write_item(out, name)?;
            write_item(out, "")?;
        }
        Ok(())
    }
}

impl ToRedisArgs for EncodedChange<'_> {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        // Into the command's own buffer, which cannot fail.
        let _ = self.write_to(&mut out.writer_for_next_arg());
    }
}

fn encoded_len(fields: &[(&str, &str)]) -> usize {
    fields
        .iter()
        .map(|(name, value)| name.len() + value.len() + 8)
        .sum()
}

fn push_item(out: &mut String, item: &str) {
    let mut digits = itoa::Buffer::new();
    out.push_str(digits.format(item.len()));
    out.push(':');
    out.push_str(item);
}

fn write_item(out: &mut impl Write, item: &str) -> std::io::Result<()> {
    let mut digits = itoa::Buffer::new();
    out.write_all(digits.format(item.len()).as_bytes())?;
    out.write_all(b":")?;
    out.write_all(item.as_bytes())
}

/// The length of an encoded item.
fn item_len(item: &str) -> usize {
    item.len()
        .checked_ilog10()
        .map_or(1, |digits| digits as usize + 1)
        + 1
        + item.len()
}

/// Fields past which resolving appended changes looks names up in a map rather than a list.
const LINEAR_LOOKUP_MAX: usize = 32;

/// The fields of a stored record, its appended changes applied, and the length of the record
/// they make once compacted.
pub(super) fn decode(bytes: &[u8]) -> Result<(Vec<Field>, usize), CorruptRecord> {
    let text = std::str::from_utf8(bytes).map_err(|error| CorruptRecord {
        at: error.valid_up_to(),
    })?;
    let live = resolve(text)?;
    let compacted = live
        .iter()
        .map(|(name, value)| item_len(name) + item_len(value))
        .sum();
    let fields = live
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    Ok((fields, compacted))
}

/// The live fields of a record: appended changes applied, removed fields left out.
fn resolve(text: &str) -> Result<Vec<(&str, &str)>, CorruptRecord> {
    resolve_then(text, std::iter::empty())
}

/// As [`resolve`], with the fields of one more change applied after the record's own (an empty
/// value removes a field).
fn resolve_then<'a>(
    text: &'a str,
    then: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(&'a str, &'a str)>, CorruptRecord> {
    let corrupt = |rest: &str| CorruptRecord {
        at: text.len() - rest.len(),
    };
    let mut resolved = Resolved::default();
    let mut rest = text;
    while !rest.is_empty() && !rest.starts_with(CHANGE) {
        let (name, value, after) = field(rest).ok_or_else(|| corrupt(rest))?;
        resolved.fields.push((name, value));
        rest = after;
    }
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(CHANGE) {
            rest = after;
            continue;
        }
        let (name, value, after) = field(rest).ok_or_else(|| corrupt(rest))?;
        resolved.apply(name, value);
        rest = after;
    }
    for (name, value) in then {
        resolved.apply(name, value);
    }
    let mut fields = resolved.fields;
    fields.retain(|(_, value)| !value.is_empty());
    Ok(fields)
}

/// Fields as far as they are resolved, in the order they first appeared. A removed field stays
/// in the list, emptied, so that positions stay valid.
#[derive(Default)]
struct Resolved<'a> {
    fields: Vec<(&'a str, &'a str)>,
    /// Positions by name, made once the fields are too many to search.
    index: Option<HashMap<&'a str, usize>>,
}

impl<'a> Resolved<'a> {
    /// Sets a field as an appended change does; an empty value removes it.
    fn apply(&mut self, name: &'a str, value: &'a str) {
        if self.index.is_none() && self.fields.len() > LINEAR_LOOKUP_MAX {
            let positions = self.fields.iter().enumerate().map(|(i, (n, _))| (*n, i));
            self.index = Some(positions.collect());
        }
        let found = match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.fields.iter().position(|(n, _)| *n == name),
        };
        match found {
            Some(at) => self.fields[at].1 = value,
            None => {
                if let Some(index) = &mut self.index {
                    index.insert(name, self.fields.len());
                }
                self.fields.push((name, value));
            }
        }
    }
}

/// Splits one field (name, value) off the front of `text`.
fn field(text: &str) -> Option<(&str, &str, &str)> {
    let (name, rest) = item(text)?;
    let (value, rest) = item(rest)?;
    Some((name, value, rest))
}

/// Splits `<length>:<bytes>` off the front of `text`.
fn item(text: &str) -> Option<(&str, &str)> {
    let (length, rest) = text.split_once(':')?;
    if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let length: usize = length.parse().ok()?;
    Some((rest.get(..length)?, rest.get(length..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, value: &str) -> Field {
        (name.to_owned(), value.to_owned())
    }

    /// A change that sets `set` and removes `remove`.
    pub(super) fn change<'a>(set: &[(&'a str, &'a str)], remove: &[&'a str]) -> Change<'a> {
        Change {
            set: set.to_vec(),
            remove: remove.to_vec(),
            base: None,
            caps: None,
        }
    }

    /// The bytes a write appends to set `set` and remove `remove`.
    fn appended(set: &[(&str, &str)], remove: &[&str]) -> String {
        let mut bytes = Vec::new();
        let change = change(set, remove);
        EncodedChange(&change).write_to(&mut bytes).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    fn sorted(mut fields: Vec<Field>) -> Vec<Field> {
        fields.sort();
        fields
    }

    #[test]
    fn fields_are_read_in_order() {
        let fields = decode(b"1:n1:74:name6:\"Zo\xc3\xab\"").unwrap().0;
        assert_eq!(fields, [field("n", "7"), field("name", "\"Zoë\"")]);
    }

    #[test]
    fn names_and_values_may_hold_the_separators() {
        let fields = decode(b"3:a:|5:\"1:2\"").unwrap().0;
        assert_eq!(fields, [field("a:|", "\"1:2\"")]);
    }

    #[test]
    fn an_empty_record_has_no_fields() {
        assert_eq!(decode(b"").unwrap().0, []);
    }

    #[test]
    fn encoded_fields_decode_to_themselves() {
        let fields = [("n", "7"), ("$u", "\"alice\""), ("", "[]")];
        let decoded = decode(encode_fields(&fields).as_bytes()).unwrap().0;
        assert_eq!(
            sorted(decoded),
            [field("", "[]"), field("$u", "\"alice\""), field("n", "7")]
        );
    }

    #[test]
    fn appended_changes_set_and_remove_fields_in_order() {
        let mut record = encode_fields(&[("n", "1"), ("gone", "true"), ("kept", "0")]);
        record.push_str(&appended(&[("n", "2"), ("new", "\"x\"")], &["gone"]));
        record.push_str(&appended(&[("n", "3")], &["new"]));
        assert_eq!(
            sorted(decode(record.as_bytes()).unwrap().0),
            [field("kept", "0"), field("n", "3")]
        );
    }

    #[test]
    fn a_field_removed_then_set_again_is_present() {
        let mut record = encode_fields(&[("n", "1")]);
        record.push_str(&appended(&[], &["n"]));
        record.push_str(&appended(&[("n", "4")], &[]));
        assert!(record.ends_with("|1:n0:|1:n1:4"), "{record}");
        assert_eq!(decode(record.as_bytes()).unwrap().0, [field("n", "4")]);
    }

    #[test]
    fn changes_to_a_record_of_many_fields_resolve_alike() {
        let names: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
        let fields: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
        let mut record = encode_fields(&fields);
        record.push_str(&appended(&[("k7", "2"), ("new", "3")], &["k9"]));
        record.push_str(&appended(&[("k9", "4")], &["new"]));
        let decoded = decode(record.as_bytes()).unwrap().0;
        assert_eq!(decoded.len(), 100);
        let value = |name: &str| {
            decoded
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(value("k7"), Some("2"));
        assert_eq!(value("k9"), Some("4"));
        assert_eq!(value("new"), None);
    }

    #[test]
    fn an_encoded_change_is_as_long_as_it_says() {
        for length in [0, 1, 9, 10, 99, 100, 1_000, 10_000] {
            let (name, value) = ("n".repeat(length), "v".repeat(length));
            let change = change(&[(&name, &value), ("k", &value)], &[&name, "gone"]);
            let mut bytes = Vec::new();
            EncodedChange(&change).write_to(&mut bytes).unwrap();
            assert_eq!(EncodedChange(&change).len(), bytes.len(), "{length}");
        }
    }

    #[test]
    fn broken_framing_is_corrupt() {
        for bytes in [
            &b"1:n"[..],
            b"1:n1",
            b"1:n9:7",
            b"x:n1:7",
            b"+1:n1:7",
            b":n1:7",
            b"2:\xc3\xab1:7x",
            b"1:\xc3\xab1:7",
            b"{\"json\":1}",
            b"1:n1:7|1:m",
        ] {
            assert!(
                decode(bytes).is_err(),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn decoding_tells_how_long_the_record_is_compacted() {
        let mut record = encode_fields(&[("n", "1"), ("gone", "true")]);
        record.push_str(&appended(&[("n", "22")], &["gone"]));
        assert_eq!(decode(record.as_bytes()).unwrap().1, "1:n2:22".len());
    }

    #[test]
    fn non_utf8_is_corrupt() {
        assert_eq!(decode(b"1:n1:\xff"), Err(CorruptRecord { at: 5 }));
    }
}
