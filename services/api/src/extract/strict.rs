//! JSON read strictly: a key given twice is an error (serde_json keeps the
//! last silently), and every error inside an object names the key it is under,
//! even those serde_json raises before any visitor runs (a number out of range).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Marks the key path inside an error message, for [`split_error`].
const MARK: char = '\u{1}';

/// Parses `body` into a [`Value`]; on error, the path of the field at fault
/// (empty at the top level) and the message.
pub fn parse(body: &[u8]) -> Result<Value, (String, String)> {
    let mut de = serde_json::Deserializer::from_slice(body);
    Strict {
        path: String::new(),
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v))
    .map_err(|e| split_error(&e.to_string()))
}

fn split_error(text: &str) -> (String, String) {
    let mut parts = text.splitn(3, MARK);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(path), Some(message)) => {
            (path.to_owned(), strip_position(message).to_owned())
        }
        _ => (String::new(), text.to_owned()),
    }
}

struct Strict {
    path: String,
}

impl Strict {
    fn child(&self, key: &str) -> Strict {
        Strict {
            path: if self.path.is_empty() {
                key.to_owned()
            } else {
                format!("{}.{key}", self.path)
            },
        }
    }
}

fn tagged<E: de::Error>(path: &str, message: impl fmt::Display) -> E {
    E::custom(format_args!("{MARK}{path}{MARK}{message}"))
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| tagged(&self.path, "the number is out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child(&items.len().to_string()))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(&key);
            let path = child.path.clone();
            let value = map.next_value_seed(child).map_err(|e| {
                // A syntax error stays a syntax error (400); a number serde_json
                // cannot hold is this field's fault (422).
                let text = e.to_string();
                if text.starts_with("number out of range") {
                    tagged(&path, "the number is out of range")
                } else {
                    e
                }
            })?;
            if object.contains_key(&key) {
                return Err(tagged(&path, format!("{key} is given more than once")));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// serde_json ends its messages with ` at line L column C`.
fn strip_position(text: &str) -> &str {
    text.find(" at line ").map_or(text, |i| &text[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_overflows_name_their_key() {
        let (path, message) = parse(br#"{"a": 1, "a": 2}"#).unwrap_err();
        assert_eq!(path, "a");
        assert!(message.contains("more than once"), "{message}");
        let (path, message) = parse(br#"{"target_price": 1e400}"#).unwrap_err();
        assert_eq!(path, "target_price");
        assert!(message.contains("out of range"), "{message}");
        let (path, _) = parse(br#"{"a": {"b": [1, {"c": 1, "c": 2}]}}"#).unwrap_err();
        assert_eq!(path, "a.b.1.c");
        assert_eq!(parse(b"{").unwrap_err().0, "");
        assert_eq!(parse(br#"{"a": tru}"#).unwrap_err().0, "");
        assert_eq!(
            parse(br#"{"a": [1, "x"], "b": null}"#).unwrap(),
            serde_json::json!({"a": [1, "x"], "b": null})
        );
    }
}
