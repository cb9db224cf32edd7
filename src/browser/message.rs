//! Reading a `message` event's data without trusting it: only the known keys, only
//! strings, and never more than a bounded number of characters.

use js_sys::{JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::protocol::{Field, MAX_ERROR_LEN, MAX_ID_LEN, MAX_STATUS_LEN, MAX_TYPE_LEN, RawMessage};

/// Reads `key` of `obj` as a string of at most `cap` UTF-16 units.
pub fn read_field(obj: &JsValue, key: &str, cap: usize) -> Field {
    let Ok(value) = Reflect::get(obj, &JsValue::from_str(key)) else {
        return Field::Missing;
    };
    let Some(s) = value.dyn_ref::<JsString>() else {
        return Field::Missing;
    };
    // The length check happens in JavaScript: an oversized string is never copied in.
    if s.length() as usize > cap {
        return Field::TooLong;
    }
    Field::Text(String::from(s))
}

/// Whether `v` is an object that structured clone could have produced as a plain record
/// (not null, not an array, not a function).
fn is_plain_object(v: &JsValue) -> bool {
    v.is_object() && !js_sys::Array::is_array(v) && !v.is_function()
}

/// The known fields of a message's `data`.
pub fn read_raw(data: &JsValue) -> RawMessage {
    if !is_plain_object(data) {
        return RawMessage::default();
    }
    RawMessage {
        is_object: true,
        kind: read_field(data, "type", MAX_TYPE_LEN),
        status: read_field(data, "status", MAX_STATUS_LEN),
        connection_id: read_field(data, "connectionId", MAX_ID_LEN),
        integration_name: read_field(data, "integrationName", MAX_ID_LEN),
        external_id: read_field(data, "externalId", MAX_ID_LEN),
        end_user_id: read_field(data, "endUserId", MAX_ID_LEN),
        error: read_field(data, "error", MAX_ERROR_LEN),
    }
}
