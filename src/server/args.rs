//! Event arguments as handlers see them: the raw JSON array text as received, parsed
//! lazily (with simd-json) only when a handler asks for values.

use serde_json::Value;
use std::cell::OnceCell;
use std::rc::Rc;

/// The arguments of an event or an ack: a JSON array, kept as received. Cloning is
/// cheap (the text is shared).
#[derive(Debug, Clone)]
pub struct Args {
    raw: Rc<str>,
    parsed: OnceCell<Vec<Value>>,
}

impl Args {
    /// Wrap the raw JSON array text (`[]` for none). The text is trusted to be a JSON
    /// array (the packet decoder guarantees it for network input).
    pub fn from_raw(raw: &str) -> Self {
        Args {
            raw: Rc::from(raw),
            parsed: OnceCell::new(),
        }
    }

    /// Build from values.
    pub fn from_values(values: &[Value]) -> Self {
        Args::from_raw(&values_to_json(values))
    }

    /// The raw JSON array text, e.g. `[1,"a"]`.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The arguments as values (parsed once, on first use).
    pub fn values(&self) -> &[Value] {
        self.parsed
            .get_or_init(|| match crate::protocol::json::parse(&self.raw) {
                Ok(Value::Array(v)) => v,
                Ok(other) => vec![other],
                Err(_) => Vec::new(),
            })
    }

    /// Argument `i`, or `Value::Null` when absent.
    pub fn get(&self, i: usize) -> &Value {
        static NULL: Value = Value::Null;
        self.values().get(i).unwrap_or(&NULL)
    }

    /// Argument `i` as a string slice, if it is a string.
    pub fn str(&self, i: usize) -> Option<&str> {
        self.get(i).as_str()
    }

    /// Number of arguments.
    pub fn len(&self) -> usize {
        if &*self.raw == "[]" {
            0
        } else {
            self.values().len()
        }
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// JSON text (JavaScript `JSON.stringify` rules) of an argument list.
pub fn values_to_json(values: &[Value]) -> String {
    let mut out = String::with_capacity(16 * values.len() + 2);
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::protocol::json::write_value(&mut out, v);
    }
    out.push(']');
    out
}

/// What a `message` handler receives: text from a `3` packet, or a value from a `4` packet.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A plain message (`3:::text`).
    Text(String),
    /// A JSON message (`4:::json`); unparsable JSON arrives as `false`, as in 0.9.
    Json(Value),
}

impl Message {
    /// The message as a JSON value (text becomes a JSON string).
    pub fn to_value(&self) -> Value {
        match self {
            Message::Text(s) => Value::String(s.clone()),
            Message::Json(v) => v.clone(),
        }
    }
}
