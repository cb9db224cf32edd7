//! Reading a `message` event's data without trusting it: only the known keys, only
//! strings, and never more than a bounded number of characters.
//!
//! ```no_run
//! use weavz_connect::browser::message::read_raw;
//! use weavz_connect::protocol::parse_result;
//!
//! // In a `message` listener: never read the whole object, only the known fields.
//! let on_message = |event: web_sys::MessageEvent| match parse_result(&read_raw(&event.data())) {
//!     Ok(result) => web_sys::console::log_1(&format!("{:?}", result.outcome).into()),
//!     Err(rejection) => web_sys::console::debug_1(&rejection.describe().into()),
//! };
//! # let _ = on_message;
//! ```

use js_sys::{JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::protocol::{Field, MAX_ERROR_LEN, MAX_ID_LEN, MAX_STATUS_LEN, MAX_TYPE_LEN, RawMessage};

/// Reads `key` of `obj` as a string of at most `cap` UTF-16 units.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::message::read_field;
/// use weavz_connect::protocol::Field;
///
/// let data = js_sys::JSON::parse(r#"{"connectionId":"conn_1","count":3}"#).unwrap();
/// assert_eq!(read_field(&data, "connectionId", 256), Field::Text("conn_1".into()));
/// assert_eq!(read_field(&data, "connectionId", 4), Field::TooLong);
/// // Not a string: missing.
/// assert_eq!(read_field(&data, "count", 256), Field::Missing);
/// ```
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
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::message::read_raw;
/// use weavz_connect::protocol::{ResultMessage, parse_result};
///
/// // A `message` event's `data`, as the hosted page posts it.
/// let data = js_sys::JSON::parse(
///     r#"{"type":"weavz-connect-result","status":"success","connectionId":"conn_1",
///         "integrationName":"slack","externalId":"user-42","unknown":{"deep":true}}"#,
/// )
/// .unwrap();
/// let raw = read_raw(&data);
/// assert_eq!(parse_result(&raw), Ok(ResultMessage::success("conn_1", "slack", "user-42")));
/// // Arrays, strings and null are not messages.
/// assert!(!read_raw(&js_sys::Array::new().into()).is_object);
/// ```
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
