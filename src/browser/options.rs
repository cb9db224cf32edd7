//! The browser half of [`crate::options`]: what needs JavaScript values — token
//! parameters (an object, or JSON text), the connect URL (parsed by the browser), a
//! number attribute — and the [`StartOptions`] every surface hands the driver.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use super::driver::{ShownBy, Source, StartOptions};
use super::http::target_from_url;
use crate::flow::FlowError;
use crate::options::{Checked, Via, invalid, messages};

/// What a surface has beyond [`Checked`]: JavaScript values and who shows the flow.
#[derive(Default)]
pub struct Extras {
    /// Extra token request fields: an object or `undefined` (widgets' JSON text goes
    /// through [`token_params_text`] first, as [`for_widget`] does).
    pub token_params: JsValue,
    /// `getConnectUrl`, when [`Via::Callback`].
    pub get_connect_url: Option<Function>,
    /// `token`, beside a `connectUrl` without `?token=`.
    pub token: Option<String>,
    /// `expiresAt` on the page's clock.
    pub expires_at: Option<f64>,
    /// Aborts the flow.
    pub signal: Option<AbortSignal>,
    /// Which widget shows the flow.
    pub shown_by: Option<ShownBy>,
}

/// Token parameters from JSON text (an attribute or a prop), or `undefined` without any.
#[cfg(feature = "element")]
pub fn token_params_text(text: Option<&str>) -> Result<JsValue, FlowError> {
    match text {
        None => Ok(JsValue::UNDEFINED),
        Some(text) => match js_sys::JSON::parse(text) {
            Ok(v) if is_record(&v) => Ok(v),
            _ => Err(invalid(messages::TOKEN_PARAMS)),
        },
    }
}

fn is_record(v: &JsValue) -> bool {
    v.is_object() && !js_sys::Array::is_array(v) && !v.is_function()
}

/// The token endpoint's JSON body: the token parameters (copied, never mutated) plus
/// `integrationName` and `endUserId` (the end user's external id, for an end-user portal
/// token endpoint) when given.
pub fn token_body(
    integration: Option<&str>,
    end_user_id: Option<&str>,
    params: &JsValue,
) -> Result<String, FlowError> {
    let body = Object::new();
    if !params.is_undefined() && !params.is_null() {
        if !is_record(params) {
            return Err(invalid(messages::TOKEN_PARAMS));
        }
        Object::assign(&body, params.unchecked_ref());
    }
    if let Some(name) = integration {
        let _ = Reflect::set(&body, &"integrationName".into(), &name.into());
    }
    if let Some(user) = end_user_id {
        let _ = Reflect::set(&body, &"endUserId".into(), &user.into());
    }
    js_sys::JSON::stringify(&body)
        .map(String::from)
        .map_err(|_| invalid(messages::TOKEN_PARAMS))
}

/// A number attribute (`close-grace-ms="1500"`): decimal only, read by JavaScript's unary
/// `+` (Rust's float parser would cost the WebAssembly ~18 KB); anything else is `NaN`,
/// which [`crate::options::Given::check`] refuses.
#[cfg(feature = "element")]
pub fn attribute_number(text: &str) -> f64 {
    crate::options::decimal(text, |t| JsValue::from_str(t).unchecked_into_f64())
}

/// The driver's options from checked ones: the connect URL parsed (and its token read), or
/// the token request's body built.
pub fn start_options(checked: Checked, extras: Extras) -> Result<StartOptions, FlowError> {
    let params = extras.token_params;
    let source = match checked.via {
        Via::ConnectUrl(url) => {
            let mut target = target_from_url(&url, extras.token)?;
            target.expires_at = extras.expires_at;
            if checked.session_endpoint.is_some() && target.token.is_none() {
                return Err(invalid(messages::SESSION_NEEDS_TOKEN));
            }
            Source::Ready(target)
        }
        Via::TokenEndpoint(url) => Source::TokenEndpoint {
            url,
            body: token_body(
                checked.integration.as_deref(),
                checked.end_user_id.as_deref(),
                &params,
            )?,
        },
        Via::Callback => Source::Callback(
            extras
                .get_connect_url
                .ok_or_else(|| invalid(messages::ONE_SOURCE))?,
        ),
    };
    Ok(StartOptions {
        session_endpoint: checked.session_endpoint,
        close_grace_ms: checked.close_grace_ms,
        timeout_ms: checked.timeout_ms,
        signal: extras.signal,
        mode: checked.mode,
        integration: checked.integration,
        end_user_id: checked.end_user_id,
        shown_by: extras.shown_by,
        ..StartOptions::new(source)
    })
}

/// A widget's flow options (`<weavz-connect>`, `ConnectButton`, the panel): its checked
/// options, its token parameters as JSON text, and which kind of widget shows the flow.
#[cfg(feature = "element")]
pub fn for_widget(
    checked: Checked,
    token_params: Option<&str>,
    shown_by: ShownBy,
) -> Result<StartOptions, FlowError> {
    start_options(
        checked,
        Extras {
            token_params: token_params_text(token_params)?,
            shown_by: Some(shown_by),
            ..Extras::default()
        },
    )
}
