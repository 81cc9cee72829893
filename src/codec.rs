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

/// Bytes a field counts against the session size cap: its key plus its encoded value.
pub(crate) fn field_cost(key: &str, value: &str) -> usize {
    key.len() + value.len()
}

/// The crate's metadata among stored fields, keyed by field name. (The user's data is read
/// from the fields themselves until a request changes it: `session/state/data.rs`.)
///
/// Values are not parsed here: a value is parsed when it is read, so a request pays only for the
/// values it uses, and a corrupt value fails that read with [`SessionError::Decode`](crate::SessionError::Decode)
/// while the rest of the session stays usable.
pub(crate) fn meta_of(fields: &[(String, String)]) -> HashMap<String, String> {
    (fields.iter())
        .filter(|(field, _)| key_of_field(field).is_none())
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_are_stored_as_they_are() {
        assert_eq!(field_for_key("cart"), "cart");
        assert_eq!(key_of_field("cart"), Some("cart"));
    }

    #[test]
    fn dollar_keys_cannot_collide_with_metadata() {
        assert_eq!(key_of_field("$$c"), Some("$c"));
        assert_eq!(key_of_field("$c"), None);
        assert_eq!(field_for_key("$c"), "$$c");
    }

    #[test]
    fn metadata_is_not_user_data() {
        let fields = [("$meta".into(), "1".into()), ("n".into(), "2".into())];
        let meta = meta_of(&fields);
        assert_eq!(meta.len(), 1);
        assert_eq!(meta["$meta"], "1");
    }
}
