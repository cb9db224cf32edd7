//! One home for the options of every surface — the JS API's `open()`, `<weavz-connect>`,
//! the Leptos `ConnectButton`, `ConnectionsPanel` and `<weavz-connections>`. Each surface
//! reads its input as it comes (an options object, attributes, props) into a [`Given`], and
//! [`Given::check`] turns it into the same typed [`Checked`] options, or into the same
//! [`FlowError`] (`invalid_options`, the same message) for the same mistake. Pure: no
//! browser needed, so every rule is unit-tested natively.
//!
//! ```
//! use weavz_connect::options::{Given, Mode, Via};
//!
//! let checked = Given {
//!     integration: Some("slack".into()),
//!     token_endpoint: Some("/api/connect-token".into()),
//!     session_endpoint: Some("/api/connect-session".into()),
//!     mode: Some("redirect".into()),
//!     ..Given::default()
//! }
//! .check()
//! .unwrap();
//! assert_eq!(checked.mode, Mode::Redirect);
//! assert_eq!(checked.via, Via::TokenEndpoint("/api/connect-token".into()));
//!
//! // The same mistake gives the same error, whichever surface made it.
//! let err = Given { mode: Some("tab".into()), ..Given::widget("slack", "/t") }.check().unwrap_err();
//! assert_eq!(err.message, r#"mode must be "popup", "redirect" or "auto", not "tab"."#);
//! ```

use crate::flow::{ErrorCode, FlowError};

/// How the connect page is shown.
///
/// # Examples
///
/// ```
/// use weavz_connect::options::Mode;
///
/// assert_eq!(Mode::default(), Mode::Popup);
/// assert_eq!(Mode::parse("auto"), Some(Mode::Auto));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// In a popup window (the default).
    #[default]
    Popup,
    /// The page itself goes to the connect page and comes back; needs a session endpoint.
    Redirect,
    /// A popup, except on small touch screens or when the browser blocks it: then a
    /// redirect (when a session endpoint is configured; popup only otherwise).
    Auto,
}

impl Mode {
    /// From the option's text: `popup`, `redirect` or `auto`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::options::Mode;
    ///
    /// assert_eq!(Mode::parse("popup"), Some(Mode::Popup));
    /// assert_eq!(Mode::parse("redirect"), Some(Mode::Redirect));
    /// assert_eq!(Mode::parse("Popup"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "popup" => Some(Mode::Popup),
            "redirect" => Some(Mode::Redirect),
            "auto" => Some(Mode::Auto),
            _ => None,
        }
    }

    /// The option's text, as [`Mode::parse`] reads it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::options::Mode;
    ///
    /// for mode in [Mode::Popup, Mode::Redirect, Mode::Auto] {
    ///     assert_eq!(Mode::parse(mode.as_str()), Some(mode));
    /// }
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Popup => "popup",
            Mode::Redirect => "redirect",
            Mode::Auto => "auto",
        }
    }
}

/// Which kind of widget shows a flow: after a redirect, the same kind shows it again.
///
/// # Examples
///
/// ```
/// use weavz_connect::options::ShownBy;
///
/// assert_eq!(ShownBy::parse(ShownBy::Panel.as_str()), Some(ShownBy::Panel));
/// assert_eq!(ShownBy::parse("toast"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShownBy {
    /// A connect button (`<weavz-connect>`, `ConnectButton`).
    Button,
    /// The connections panel.
    Panel,
}

impl ShownBy {
    /// The name saved with a redirect-mode flow.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weavz_connect::options::ShownBy::Button.as_str(), "button");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ShownBy::Button => "button",
            ShownBy::Panel => "panel",
        }
    }

    /// From a saved name.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::options::ShownBy;
    ///
    /// assert_eq!(ShownBy::parse("button"), Some(ShownBy::Button));
    /// ```
    pub fn parse(name: &str) -> Option<ShownBy> {
        match name {
            "button" => Some(ShownBy::Button),
            "panel" => Some(ShownBy::Panel),
            _ => None,
        }
    }
}

/// Default grace period after the popup closes, in milliseconds.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::FlowConfig;
/// use weavz_connect::options::DEFAULT_CLOSE_GRACE_MS;
///
/// // A surface given no grace period waits as long as a flow does by default.
/// assert_eq!(DEFAULT_CLOSE_GRACE_MS, FlowConfig::default().close_grace_ms);
/// ```
pub const DEFAULT_CLOSE_GRACE_MS: f64 = 3000.0;

/// The options as a surface collected them, before any check. Strings are what was given
/// (the surfaces turn empty attributes into `None`); a number that is not one (an attribute
/// like `close-grace-ms="soon"`) is `NaN`, which the check refuses like any other bad value.
///
/// # Examples
///
/// ```
/// use weavz_connect::options::Given;
///
/// let given = Given { close_grace_ms: Some(f64::NAN), ..Given::widget("slack", "/api/connect-token") };
/// assert!(given.check().unwrap_err().message.starts_with("closeGraceMs / close-grace-ms"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Given {
    /// `integration`: the integration's name. Required by the widgets ([`Given::widget`]).
    pub integration: Option<String>,
    /// The widgets show an integration, so they need one.
    pub integration_required: bool,
    /// `connectUrl` (JS API only).
    pub connect_url: Option<String>,
    /// `tokenEndpoint` / `token-endpoint`.
    pub token_endpoint: Option<String>,
    /// Whether `getConnectUrl` was given (JS API only).
    pub get_connect_url: bool,
    /// `sessionEndpoint` / `session-endpoint`.
    pub session_endpoint: Option<String>,
    /// `mode`.
    pub mode: Option<String>,
    /// `closeGraceMs` / `close-grace-ms`.
    pub close_grace_ms: Option<f64>,
    /// `timeoutMs` / `timeout-ms`.
    pub timeout_ms: Option<f64>,
    /// `endUserId` / `end-user`.
    pub end_user_id: Option<String>,
}

/// Extra fields for the token request, as the Rust widgets take them: a JSON object that
/// the widget merges into its `POST` to the token endpoint (with `integrationName`).
///
/// Built from JSON text (`From<&str>`, checked when a flow starts, as the elements'
/// `token-params` attribute is), and with feature `ui` from any [`serde::Serialize`] value
/// ([`TokenParams::new`], which says at once when it is not an object) or a
/// `serde_json::Value`. A value that is not a JSON object makes the flow end with
/// `invalid_options` and [`messages::TOKEN_PARAMS`], as on every surface.
///
/// # Examples
///
/// ```
/// use weavz_connect::options::TokenParams;
///
/// let params = TokenParams::from(r#"{"connectionName": "Team workspace"}"#);
/// assert_eq!(params.json(), Ok(r#"{"connectionName": "Team workspace"}"#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenParams(Result<std::sync::Arc<str>, FlowError>);

impl TokenParams {
    /// The parameters' JSON text, or the error a flow started with them ends with.
    ///
    /// ```
    /// use weavz_connect::options::TokenParams;
    ///
    /// assert_eq!(TokenParams::from("{}").json(), Ok("{}"));
    /// ```
    pub fn json(&self) -> Result<&str, FlowError> {
        match &self.0 {
            Ok(text) => Ok(text),
            Err(e) => Err(e.clone()),
        }
    }
}

impl From<&str> for TokenParams {
    fn from(text: &str) -> TokenParams {
        TokenParams(Ok(text.into()))
    }
}

impl From<String> for TokenParams {
    fn from(text: String) -> TokenParams {
        TokenParams(Ok(text.into()))
    }
}

#[cfg(feature = "ui")]
impl TokenParams {
    /// Token parameters from a serializable value: a struct or a map (a JSON object).
    ///
    /// # Errors
    ///
    /// `invalid_options` ([`messages::TOKEN_PARAMS`]) when the value does not serialize to
    /// a JSON object (a number, a list, a failing `Serialize`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::options::TokenParams;
    ///
    /// #[derive(serde::Serialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct Params { connection_name: String }
    ///
    /// let params = TokenParams::new(&Params { connection_name: "Team".into() })?;
    /// assert_eq!(params.json()?, r#"{"connectionName":"Team"}"#);
    /// assert!(TokenParams::new(&[1, 2]).is_err());
    /// # Ok::<(), weavz_connect::flow::FlowError>(())
    /// ```
    pub fn new<T: serde::Serialize + ?Sized>(value: &T) -> Result<TokenParams, FlowError> {
        match serde_json::to_string(value) {
            // What a struct or a map serializes to, and nothing else does.
            Ok(text) if text.starts_with('{') => Ok(TokenParams(Ok(text.into()))),
            _ => Err(invalid(messages::TOKEN_PARAMS)),
        }
    }
}

/// A `serde_json::Value`; one that is not an object fails the flow it starts.
///
/// ```
/// use serde_json::json;
/// use weavz_connect::options::TokenParams;
///
/// let params = TokenParams::from(json!({ "connectionName": "Team" }));
/// assert_eq!(params.json().unwrap(), r#"{"connectionName":"Team"}"#);
/// assert_eq!(TokenParams::from(json!([1])).json().unwrap_err().code.as_str(), "invalid_options");
/// ```
#[cfg(feature = "ui")]
impl From<serde_json::Value> for TokenParams {
    fn from(value: serde_json::Value) -> TokenParams {
        TokenParams::new(&value).unwrap_or_else(|e| TokenParams(Err(e)))
    }
}

/// Where the connect URL comes from, once checked.
///
/// # Examples
///
/// ```
/// use weavz_connect::options::{Given, Via};
///
/// let checked = Given { get_connect_url: true, ..Given::default() }.check().unwrap();
/// assert_eq!(checked.via, Via::Callback);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The host gave the connect URL (the browser layer parses it).
    ConnectUrl(String),
    /// POST to the host backend's token endpoint.
    TokenEndpoint(String),
    /// Call the host's `getConnectUrl()`.
    Callback,
}

/// The options of one flow, checked: what every surface hands the browser layer.
///
/// # Examples
///
/// ```
/// use weavz_connect::options::{DEFAULT_CLOSE_GRACE_MS, Given, Mode};
///
/// let checked = Given::widget("slack", "/api/connect-token").check().unwrap();
/// assert_eq!(checked.mode, Mode::Popup);
/// assert_eq!(checked.close_grace_ms, DEFAULT_CLOSE_GRACE_MS);
/// assert_eq!(checked.timeout_ms, None);
/// assert_eq!(checked.integration.as_deref(), Some("slack"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Where the connect URL comes from.
    pub via: Via,
    /// The session endpoint, if any.
    pub session_endpoint: Option<String>,
    /// Popup, redirect or auto.
    pub mode: Mode,
    /// Grace period after the popup closes.
    pub close_grace_ms: f64,
    /// A total deadline.
    pub timeout_ms: Option<f64>,
    /// The integration, when given.
    pub integration: Option<String>,
    /// The end user, when the flow is for one.
    pub end_user_id: Option<String>,
}

/// The messages of every option mistake, one per mistake, whatever the surface.
///
/// # Examples
///
/// ```
/// use weavz_connect::options::{Given, messages};
///
/// let err = Given::default().check().unwrap_err();
/// assert_eq!(err.message, messages::ONE_SOURCE);
/// ```
pub mod messages {
    /// No source of the connect URL, or more than one.
    ///
    /// ```
    /// assert!(weavz_connect::options::messages::ONE_SOURCE.contains("tokenEndpoint"));
    /// ```
    pub const ONE_SOURCE: &str =
        "Give exactly one of connectUrl, tokenEndpoint (token-endpoint) or getConnectUrl.";
    /// A widget without an integration.
    ///
    /// ```
    /// assert!(weavz_connect::options::messages::INTEGRATION.starts_with("integration"));
    /// ```
    pub const INTEGRATION: &str =
        "integration is required: the button shows it and the token request names it.";
    /// Redirect mode without a session endpoint.
    ///
    /// ```
    /// assert!(weavz_connect::options::messages::REDIRECT_NEEDS_SESSION.contains("session-endpoint"));
    /// ```
    pub const REDIRECT_NEEDS_SESSION: &str = "mode \"redirect\" needs a sessionEndpoint (session-endpoint): the page that \
         comes back confirms the result through the session.";
    /// A grace period out of range.
    ///
    /// ```
    /// assert!(weavz_connect::options::messages::CLOSE_GRACE.contains("60000"));
    /// ```
    pub const CLOSE_GRACE: &str = "closeGraceMs / close-grace-ms must be a number from 0 to 60000.";
    /// A deadline out of range.
    ///
    /// ```
    /// assert!(weavz_connect::options::messages::TIMEOUT.contains("one day"));
    /// ```
    pub const TIMEOUT: &str = "timeoutMs / timeout-ms must be a number of milliseconds, at most one day.";
    /// A session endpoint without the connect token to poll.
    ///
    /// ```
    /// assert!(weavz_connect::options::messages::SESSION_NEEDS_TOKEN.contains("?token="));
    /// ```
    pub const SESSION_NEEDS_TOKEN: &str =
        "sessionEndpoint needs the connect token: pass `token`, or a connectUrl with ?token=.";
    /// Token parameters that are not a JSON object.
    ///
    /// ```
    /// assert!(weavz_connect::options::messages::TOKEN_PARAMS.contains("token-params"));
    /// ```
    pub const TOKEN_PARAMS: &str = "tokenParams / token-params must be a JSON object.";
}

/// An `invalid_options` error (never retryable: the same options fail the same way).
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::ErrorCode;
/// use weavz_connect::options::invalid;
///
/// let err = invalid("timeoutMs must be a number.");
/// assert_eq!(err.code, ErrorCode::InvalidOptions);
/// assert!(!err.retryable);
/// ```
pub fn invalid(message: impl Into<String>) -> FlowError {
    FlowError::new(ErrorCode::InvalidOptions, message)
}

/// The grace period after the popup closes: 0 to 60 000 ms.
fn check_close_grace(ms: f64) -> Result<f64, FlowError> {
    if ms.is_finite() && (0.0..=60_000.0).contains(&ms) {
        Ok(ms)
    } else {
        Err(invalid(messages::CLOSE_GRACE))
    }
}

/// The total deadline: more than 0, at most a day.
fn check_timeout(ms: f64) -> Result<f64, FlowError> {
    if ms.is_finite() && ms > 0.0 && ms <= 86_400_000.0 {
        Ok(ms)
    } else {
        Err(invalid(messages::TIMEOUT))
    }
}

/// A number as an attribute gives it: decimal only (`1500`, `1.5e3`), else `NaN`. Only
/// the characters are checked here; `to_f64` converts (the element passes JavaScript's
/// unary `+`, which costs no float parser in the WebAssembly).
#[cfg_attr(not(feature = "element"), allow(dead_code))] // only the element reads numbers from text
pub(crate) fn decimal(text: &str, to_f64: impl FnOnce(&str) -> f64) -> f64 {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) {
        to_f64(text)
    } else {
        f64::NAN
    }
}

impl Given {
    /// What a widget (`<weavz-connect>`, `ConnectButton`) starts from: its integration and
    /// its token endpoint.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::options::{Given, messages};
    ///
    /// let given = Given::widget("", "/api/connect-token");
    /// assert_eq!(given.check().unwrap_err().message, messages::INTEGRATION);
    /// ```
    pub fn widget(integration: &str, token_endpoint: &str) -> Given {
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        Given {
            integration: text(integration),
            integration_required: true,
            token_endpoint: text(token_endpoint),
            ..Given::default()
        }
    }

    /// Checks everything, in a fixed order, so the same mistake always gives the same
    /// first error.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::options::{Given, messages};
    ///
    /// let both = Given {
    ///     connect_url: Some("https://platform.weavz.io/connect?token=cst_1".into()),
    ///     token_endpoint: Some("/api/connect-token".into()),
    ///     ..Given::default()
    /// };
    /// assert_eq!(both.check().unwrap_err().message, messages::ONE_SOURCE);
    ///
    /// let redirect = Given { mode: Some("redirect".into()), ..Given::widget("slack", "/t") };
    /// assert_eq!(redirect.check().unwrap_err().message, messages::REDIRECT_NEEDS_SESSION);
    /// ```
    pub fn check(self) -> Result<Checked, FlowError> {
        if self.integration_required && self.integration.is_none() {
            return Err(invalid(messages::INTEGRATION));
        }
        let via = match (self.connect_url, self.token_endpoint, self.get_connect_url) {
            (Some(url), None, false) => Via::ConnectUrl(url),
            (None, Some(url), false) => Via::TokenEndpoint(url),
            (None, None, true) => Via::Callback,
            _ => return Err(invalid(messages::ONE_SOURCE)),
        };
        let mode = match self.mode.as_deref() {
            None => Mode::Popup,
            Some(text) => Mode::parse(text).ok_or_else(|| {
                invalid(format!(
                    "mode must be \"popup\", \"redirect\" or \"auto\", not \"{text}\"."
                ))
            })?,
        };
        if mode == Mode::Redirect && self.session_endpoint.is_none() {
            return Err(invalid(messages::REDIRECT_NEEDS_SESSION));
        }
        let close_grace_ms = match self.close_grace_ms {
            Some(ms) => check_close_grace(ms)?,
            None => DEFAULT_CLOSE_GRACE_MS,
        };
        let timeout_ms = self.timeout_ms.map(check_timeout).transpose()?;
        Ok(Checked {
            via,
            session_endpoint: self.session_endpoint,
            mode,
            close_grace_ms,
            timeout_ms,
            integration: self.integration,
            end_user_id: self.end_user_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_grace_is_0_to_60_s_and_timeout_above_0_to_a_day() {
        assert_eq!(check_close_grace(0.0), Ok(0.0));
        assert_eq!(check_close_grace(60_000.0), Ok(60_000.0));
        for bad in [-1.0, 60_000.5, f64::NAN, f64::INFINITY] {
            assert_eq!(
                check_close_grace(bad),
                Err(invalid(messages::CLOSE_GRACE)),
                "{bad}"
            );
        }
        assert_eq!(check_timeout(120_000.0), Ok(120_000.0));
        assert_eq!(check_timeout(86_400_000.0), Ok(86_400_000.0));
        for bad in [0.0, -5.0, 2.0 * 86_400_000.0, f64::INFINITY, f64::NAN] {
            assert_eq!(check_timeout(bad), Err(invalid(messages::TIMEOUT)), "{bad}");
        }
    }

    #[test]
    fn number_text_is_decimal_only() {
        let parse = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        assert_eq!(decimal("1500", parse), 1500.0);
        assert_eq!(decimal(" 1.5e3 ", parse), 1500.0);
        for bad in ["0x10", "", "  ", "1_000", "Infinity", "12px"] {
            assert!(decimal(bad, parse).is_nan(), "{bad:?}");
        }
    }

    /// Every mistake a surface can make, with the error every surface must give for it.
    pub(crate) fn mistakes() -> Vec<(&'static str, Given, String)> {
        let widget = || Given::widget("slack", "/api/connect-token");
        vec![
            (
                "no integration",
                Given::widget(" ", "/t"),
                messages::INTEGRATION.into(),
            ),
            (
                "no token endpoint",
                Given {
                    integration: Some("slack".into()),
                    integration_required: true,
                    ..Given::default()
                },
                messages::ONE_SOURCE.into(),
            ),
            (
                "unknown mode",
                Given {
                    mode: Some("tab".into()),
                    ..widget()
                },
                r#"mode must be "popup", "redirect" or "auto", not "tab"."#.into(),
            ),
            (
                "redirect without a session endpoint",
                Given {
                    mode: Some("redirect".into()),
                    ..widget()
                },
                messages::REDIRECT_NEEDS_SESSION.into(),
            ),
            (
                "negative grace",
                Given {
                    close_grace_ms: Some(-1.0),
                    ..widget()
                },
                messages::CLOSE_GRACE.into(),
            ),
            (
                "grace not a number",
                Given {
                    close_grace_ms: Some(f64::NAN),
                    ..widget()
                },
                messages::CLOSE_GRACE.into(),
            ),
            (
                "zero timeout",
                Given {
                    timeout_ms: Some(0.0),
                    ..widget()
                },
                messages::TIMEOUT.into(),
            ),
            (
                "timeout over a day",
                Given {
                    timeout_ms: Some(86_400_001.0),
                    ..widget()
                },
                messages::TIMEOUT.into(),
            ),
        ]
    }

    #[test]
    fn every_mistake_has_its_one_message() {
        for (what, given, message) in mistakes() {
            let err = given.check().unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidOptions, "{what}");
            assert!(!err.retryable, "{what}");
            assert_eq!(err.message, message, "{what}");
        }
    }

    #[test]
    fn good_options_are_typed() {
        let checked = Given {
            session_endpoint: Some("/s".into()),
            mode: Some("auto".into()),
            close_grace_ms: Some(0.0),
            timeout_ms: Some(60_000.0),
            end_user_id: Some("eu-1".into()),
            ..Given::widget("slack", "/t")
        }
        .check()
        .unwrap();
        assert_eq!(
            checked,
            Checked {
                via: Via::TokenEndpoint("/t".into()),
                session_endpoint: Some("/s".into()),
                mode: Mode::Auto,
                close_grace_ms: 0.0,
                timeout_ms: Some(60_000.0),
                integration: Some("slack".into()),
                end_user_id: Some("eu-1".into()),
            }
        );
        // The JS API needs no integration.
        let api = Given {
            connect_url: Some("https://platform.weavz.io/connect?token=cst_1".into()),
            ..Given::default()
        };
        assert!(matches!(api.check().unwrap().via, Via::ConnectUrl(_)));
    }
}
