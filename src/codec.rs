//! How a session maps onto a flat record of text fields: user keys, metadata, JSON values.
//!
//! A record is a set of named fields (one Redis string, see `store/redis/record/mod.rs`, or one map in
//! [`MemoryStore`](crate::MemoryStore)). User keys are stored as field names and their values as
//! JSON text, so a write sends only the fields that changed. Field names starting with a single `$` are reserved for the crate's own metadata; a
//! user key that itself starts with `$` is stored with one more `$` in front, so no user key can
//! ever overwrite metadata.

use std::borrow::Cow;
use std::collections::HashMap;

const META: char = '$';

/// The field name that stores a user key.
pub(crate) fn field_for_key(key: &str) -> Cow<'_, str> {
    if key.starts_with(META) {
        Cow::Owned(format!("{META}{key}"))
    } else {
        Cow::Borrowed(key)
    }
}

/// The user key a field stores, or `None` for a metadata field.
pub(crate) fn key_of_field(field: &str) -> Option<&str> {
    match field.strip_prefix(META) {
        None => Some(field),
        Some(rest) if rest.starts_with(META) => Some(rest),
        Some(_) => None,
    }
}

/// The user key a field stores, or `Err(field)` for a metadata field. Reuses the string.
fn key_for_field(field: String) -> Result<String, String> {
    match key_of_field(&field) {
        Some(key) if key.len() == field.len() => Ok(field),
        Some(key) => Ok(key.to_owned()),
        None => Err(field),
    }
}

/// Bytes a field counts against the session size cap: its key plus its encoded value.
pub(crate) fn field_cost(key: &str, value: &str) -> usize {
    key.len() + value.len()
}

/// A decoded record: user data keyed by user key, and metadata keyed by field name.
pub(crate) type Decoded = (HashMap<String, String>, HashMap<String, String>);

/// Splits stored fields into the user's data (keyed by user key) and the crate's metadata (keyed
/// by field name).
///
/// Values are not parsed here: a value is parsed when it is read, so a request pays only for the
/// values it uses, and a corrupt value fails that read with [`SessionError::Decode`](crate::SessionError::Decode)
/// while the rest of the session stays usable.
pub(crate) fn decode_fields(fields: Vec<(String, String)>) -> Decoded {
    let mut data = HashMap::with_capacity(fields.len());
    let mut meta = HashMap::new();
    for (field, value) in fields {
        match key_for_field(field) {
            Ok(key) => data.insert(key, value),
            Err(field) => meta.insert(field, value),
        };
    }
    (data, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_are_stored_as_they_are() {
        assert_eq!(field_for_key("cart"), "cart");
        assert_eq!(key_for_field("cart".into()), Ok("cart".to_owned()));
    }

    #[test]
    fn dollar_keys_cannot_collide_with_metadata() {
        assert_eq!(key_of_field("$$c"), Some("$c"));
        assert_eq!(key_of_field("$c"), None);
        assert_eq!(field_for_key("$c"), "$$c");
        assert_eq!(key_for_field("$$c".into()), Ok("$c".to_owned()));
        assert_eq!(key_for_field("$c".into()), Err("$c".to_owned()));
    }

    #[test]
    fn metadata_is_not_user_data() {
        let (data, meta) =
            decode_fields(vec![("$meta".into(), "1".into()), ("n".into(), "2".into())]);
        assert_eq!(data.len(), 1);
        assert_eq!(data["n"], "2");
        assert_eq!(meta["$meta"], "1");
    }
}
