//! A request's user data: read from the record as loaded, which it shares with the store (a
//! local cache hands every request the same fields), until the request changes a key; only then
//! are the keys and values copied into a map of the request's own.

use std::collections::HashMap;
use std::sync::Arc;

use crate::codec::key_of_field;
use crate::store::Field;

/// Records with more fields than this are copied into a map at load, so that no lookup scans a
/// long record.
const SCANNED_AT_MOST: usize = 16;

/// User data, keyed by user key (not field name), values as JSON.
#[derive(Default)]
pub(crate) struct Data {
    /// The record's fields as loaded (metadata among them, skipped here), until `own` is made.
    loaded: Option<Arc<[Field]>>,
    /// Every key and value, made at the first change.
    own: Option<HashMap<String, String>>,
}

impl Data {
    /// The user data of a record's `fields`.
    pub(crate) fn loaded(fields: Arc<[Field]>) -> Self {
        let long = fields.len() > SCANNED_AT_MOST;
        let mut data = Self {
            loaded: Some(fields),
            own: None,
        };
        if long {
            data.own();
        }
        data
    }

    /// The value under `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        if let Some(own) = &self.own {
            return own.get(key).map(String::as_str);
        }
        user_fields(self.loaded.as_deref()?).find_map(|(k, v)| (k == key).then_some(v))
    }

    /// Every key and its value, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let own =
            (self.own.iter()).flat_map(|own| own.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        // At most one of the two is there: making `own` takes `loaded`.
        let loaded = (self.loaded.iter()).flat_map(|fields| user_fields(fields));
        own.chain(loaded)
    }

    pub(crate) fn len(&self) -> usize {
        match (&self.own, &self.loaded) {
            (Some(own), _) => own.len(),
            (None, Some(fields)) => user_fields(fields).count(),
            (None, None) => 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets `key` to `value`.
    pub(crate) fn insert(&mut self, key: &str, value: String) {
        let own = self.own();
        match own.get_mut(key) {
            Some(old) => *old = value,
            None => {
                own.insert(key.to_owned(), value);
            }
        }
    }

    /// Removes `key`; the value it held.
    pub(crate) fn remove(&mut self, key: &str) -> Option<String> {
        self.get(key)?;
        self.own().remove(key)
    }

    /// The request's own map, made from the record as loaded the first time.
    fn own(&mut self) -> &mut HashMap<String, String> {
        let loaded = self.loaded.take();
        self.own.get_or_insert_with(|| match loaded {
            None => HashMap::new(),
            Some(mut fields) => match Arc::get_mut(&mut fields) {
                // Nobody else holds the record (no cache kept it): its strings move.
                Some(fields) => (fields.iter_mut())
                    .filter_map(|(field, value)| Some((owned_key(field)?, std::mem::take(value))))
                    .collect(),
                None => (user_fields(&fields))
                    .map(|(key, value)| (key.to_owned(), value.to_owned()))
                    .collect(),
            },
        })
    }
}

/// The user key `field` stores, taken out of it (`None` for a metadata field).
fn owned_key(field: &mut String) -> Option<String> {
    let key = key_of_field(field)?;
    Some(if key.len() == field.len() {
        std::mem::take(field)
    } else {
        key.to_owned()
    })
}

/// The user keys among `fields`, with their values.
fn user_fields(fields: &[Field]) -> impl Iterator<Item = (&str, &str)> {
    (fields.iter()).filter_map(|(field, value)| Some((key_of_field(field)?, value.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[(&str, &str)]) -> Arc<[Field]> {
        (fields.iter())
            .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn loaded_data_is_the_records_user_keys_without_its_metadata() {
        let data = Data::loaded(record(&[("$u", "\"alice\""), ("cart", "[]"), ("$$x", "1")]));
        let mut keys: Vec<&str> = data.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["$x", "cart"]);
        assert_eq!((data.get("$x"), data.get("$u")), (Some("1"), None));
        assert_eq!(data.len(), 2);
    }

    #[test]
    fn a_change_leaves_the_shared_record_as_it_was() {
        let fields = record(&[("a", "1"), ("b", "2")]);
        let mut data = Data::loaded(Arc::clone(&fields));
        data.insert("a", "3".to_owned());
        assert_eq!(data.remove("b").as_deref(), Some("2"));
        assert_eq!((data.get("a"), data.get("b")), (Some("3"), None));
        assert_eq!(&*fields, &*record(&[("a", "1"), ("b", "2")]));
    }

    #[test]
    fn removing_a_key_that_is_not_there_changes_nothing() {
        let mut data = Data::loaded(record(&[("a", "1")]));
        assert_eq!(data.remove("b"), None);
        assert!(data.own.is_none(), "still the shared record");
    }

    #[test]
    fn a_record_nobody_else_holds_is_changed_without_copying_the_others() {
        let mut data = Data::loaded(record(&[("$u", "\"alice\""), ("a", "1"), ("$$x", "2")]));
        data.insert("b", "3".to_owned());
        let mut all: Vec<(&str, &str)> = data.iter().collect();
        all.sort_unstable();
        assert_eq!(all, [("$x", "2"), ("a", "1"), ("b", "3")]);
    }

    #[test]
    fn a_long_record_is_looked_up_in_a_map() {
        let long: Vec<(String, String)> = (0..=SCANNED_AT_MOST)
            .map(|n| (format!("k{n}"), n.to_string()))
            .collect();
        let data = Data::loaded(long.into());
        assert!(data.own.is_some());
        assert_eq!(data.get("k3"), Some("3"));
    }
}
