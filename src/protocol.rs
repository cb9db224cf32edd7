//! Wire types of the hosted connect flow, as seen by the browser.
//!
//! These mirror what the Weavz connect API and hosted page send (see `docs/protocol.md`).
//! Unknown keys are ignored everywhere, so newer servers stay compatible.
//!
//! ```
//! use weavz_connect::protocol::{PollResponse, SessionStatus};
//!
//! // A newer server's extra key does not break the poll answer.
//! let poll: PollResponse = serde_json::from_str(r#"{"status":"PENDING","shinyNewKey":[1,2]}"#).unwrap();
//! assert_eq!(poll.status, SessionStatus::Pending);
//! assert!(!poll.status.is_terminal());
//! ```

use serde::{Deserialize, Serialize};

/// The `type` every completion message from the hosted connect page carries.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::{RESULT_MESSAGE_TYPE, ResultMessage};
///
/// let json = serde_json::to_value(ResultMessage::error("denied")).unwrap();
/// assert_eq!(json["type"], RESULT_MESSAGE_TYPE);
/// ```
pub const RESULT_MESSAGE_TYPE: &str = "weavz-connect-result";

/// Query parameters the hosted page appends to `successRedirectUri` / `errorRedirectUri`
/// when it finishes without an opener (redirect mode). They are hints only: confirm the
/// outcome by polling the session.
///
/// # Examples
///
/// What a return URL's query looks like after a successful flow in redirect mode:
///
/// ```
/// use weavz_connect::protocol::redirect_params::{CONNECTION_ID, FLOW, PREFIX, STATUS};
///
/// let query = format!("{STATUS}=success&{CONNECTION_ID}=conn_1&{FLOW}=f1&tab=apps");
/// let ours: Vec<&str> = query.split('&').filter(|p| p.starts_with(PREFIX)).collect();
/// assert_eq!(ours, ["weavz_status=success", "weavz_connection_id=conn_1", "weavz_flow=f1"]);
/// ```
pub mod redirect_params {
    /// `success` or `error`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::redirect_params::STATUS;
    ///
    /// let query = "weavz_status=error&weavz_error=denied";
    /// let status = query.split('&').find_map(|p| p.strip_prefix(STATUS)?.strip_prefix('='));
    /// assert_eq!(status, Some("error"));
    /// ```
    pub const STATUS: &str = "weavz_status";
    /// The created connection's id (success only).
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::redirect_params::CONNECTION_ID;
    ///
    /// let query = "weavz_status=success&weavz_connection_id=conn_1";
    /// assert!(query.contains(&format!("{CONNECTION_ID}=conn_1")));
    /// ```
    pub const CONNECTION_ID: &str = "weavz_connection_id";
    /// The integration's name, e.g. `slack`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::redirect_params::INTEGRATION_NAME;
    ///
    /// assert_eq!(format!("{INTEGRATION_NAME}=slack"), "weavz_integration=slack");
    /// ```
    pub const INTEGRATION_NAME: &str = "weavz_integration";
    /// The `externalId` the connect token was created with.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::redirect_params::EXTERNAL_ID;
    ///
    /// assert_eq!(format!("{EXTERNAL_ID}=user-42"), "weavz_external_id=user-42");
    /// ```
    pub const EXTERNAL_ID: &str = "weavz_external_id";
    /// A human-readable error (error only).
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::redirect_params::ERROR;
    ///
    /// let query = "weavz_status=error&weavz_error=Access%20denied";
    /// assert!(query.split('&').any(|p| p.starts_with(&format!("{ERROR}="))));
    /// ```
    pub const ERROR: &str = "weavz_error";
    /// The widget's own marker in the return URL it asks for: the pending flow's id.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::redirect_params::FLOW;
    ///
    /// // The return URL the widget asks for names its pending flow.
    /// let return_url = format!("https://app.example/settings?{FLOW}=f1");
    /// assert!(return_url.ends_with("?weavz_flow=f1"));
    /// ```
    pub const FLOW: &str = "weavz_flow";
    /// The prefix of every parameter above: the widget strips them from the address bar.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::redirect_params::{self, PREFIX};
    ///
    /// for name in [redirect_params::STATUS, redirect_params::ERROR, redirect_params::FLOW] {
    ///     assert!(name.starts_with(PREFIX));
    /// }
    /// ```
    pub const PREFIX: &str = "weavz_";
}

/// Marker for the literal `"weavz-connect-result"` in [`ResultMessage::kind`].
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::MessageType;
///
/// let json = serde_json::to_string(&MessageType::ConnectResult).unwrap();
/// assert_eq!(json, r#""weavz-connect-result""#);
/// assert!(serde_json::from_str::<MessageType>(r#""other""#).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageType {
    /// The only accepted value.
    #[serde(rename = "weavz-connect-result")]
    ConnectResult,
}

/// The message the hosted page posts to `window.opener` when the flow ends.
///
/// Read as the official client reads it: `status: "error"` is a failure, and anything else
/// (no `status`, `"success"`, `"completed"`, …) is a success as long as it names a
/// `connectionId`. Deserializing applies exactly the rules of [`parse_result`].
///
/// ```
/// use weavz_connect::protocol::{ResultMessage, ResultOutcome};
/// let msg = ResultMessage::error("Access was denied");
/// let json = serde_json::to_string(&msg).unwrap();
/// assert_eq!(json, r#"{"type":"weavz-connect-result","status":"error","error":"Access was denied"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireMessage")]
pub struct ResultMessage {
    /// Always [`MessageType::ConnectResult`].
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// What happened.
    #[serde(flatten)]
    pub outcome: ResultOutcome,
}

impl ResultMessage {
    /// A success message.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::{ResultMessage, ResultOutcome};
    ///
    /// let msg = ResultMessage::success("conn_1", "slack", "user-42");
    /// assert!(matches!(
    ///     &msg.outcome,
    ///     ResultOutcome::Success { connection_id, end_user_id: None, .. } if connection_id == "conn_1"
    /// ));
    /// let json = serde_json::to_string(&msg).unwrap();
    /// assert_eq!(
    ///     json,
    ///     r#"{"type":"weavz-connect-result","status":"success","connectionId":"conn_1","integrationName":"slack","externalId":"user-42"}"#
    /// );
    /// ```
    pub fn success(
        connection_id: impl Into<String>,
        integration_name: impl Into<String>,
        external_id: impl Into<String>,
    ) -> Self {
        ResultMessage {
            kind: MessageType::ConnectResult,
            outcome: ResultOutcome::Success {
                connection_id: connection_id.into(),
                integration_name: Some(integration_name.into()),
                external_id: Some(external_id.into()),
                end_user_id: None,
            },
        }
    }

    /// An error message carrying a human-readable reason.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::{ResultMessage, ResultOutcome};
    ///
    /// let msg = ResultMessage::error("Access was denied");
    /// assert_eq!(msg.outcome, ResultOutcome::Error { error: "Access was denied".into() });
    /// ```
    pub fn error(error: impl Into<String>) -> Self {
        ResultMessage {
            kind: MessageType::ConnectResult,
            outcome: ResultOutcome::Error { error: error.into() },
        }
    }
}

/// The two outcomes a [`ResultMessage`] can report. Our sandbox tags them with
/// `status: "success"` / `"error"`; a message without `status` is a success too.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::{ResultMessage, ResultOutcome};
///
/// // The shape the official SDK accepts: no `status` at all.
/// let raw = r#"{"type":"weavz-connect-result","connectionId":"c1","integrationName":"slack",
///               "externalId":"u1","endUserId":"eu1","extra":true}"#;
/// let msg: ResultMessage = serde_json::from_str(raw).unwrap();
/// assert_eq!(
///     msg.outcome,
///     ResultOutcome::Success {
///         connection_id: "c1".into(),
///         integration_name: Some("slack".into()),
///         external_id: Some("u1".into()),
///         end_user_id: Some("eu1".into()),
///     }
/// );
/// // Serialized, a success says so.
/// assert!(serde_json::to_string(&msg).unwrap().contains(r#""status":"success""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ResultOutcome {
    /// The connection was created (or updated).
    #[serde(rename_all = "camelCase")]
    Success {
        /// Id of the connection.
        connection_id: String,
        /// Name of the integration, e.g. `slack`, when the message names it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        integration_name: Option<String>,
        /// The `externalId` given when the token was created, when the message names it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
        /// The end user's external id, when the flow belonged to one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_user_id: Option<String>,
    },
    /// The flow failed; `error` says why, in words for people.
    Error {
        /// Human-readable reason.
        error: String,
    },
}

/// Status of a connect session, as reported by the session poll.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::SessionStatus;
///
/// let status: SessionStatus = serde_json::from_str(r#""CONNECTING""#).unwrap();
/// assert_eq!(status, SessionStatus::Connecting);
/// assert_eq!(SessionStatus::default(), SessionStatus::Pending);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionStatus {
    /// Created; the hosted page has not been opened yet.
    #[default]
    Pending,
    /// The user is on the hosted page or at the provider.
    Connecting,
    /// A connection exists; terminal.
    Completed,
    /// The flow failed; terminal.
    Failed,
}

impl SessionStatus {
    /// Whether no further change can happen.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::SessionStatus;
    ///
    /// assert!(SessionStatus::Completed.is_terminal());
    /// assert!(SessionStatus::Failed.is_terminal());
    /// assert!(!SessionStatus::Connecting.is_terminal());
    /// ```
    pub fn is_terminal(self) -> bool {
        matches!(self, SessionStatus::Completed | SessionStatus::Failed)
    }
}

/// A connection's `status` in Weavz's connection objects (`GET /api/v1/connections`).
///
/// Weavz's types name two values. A reader keeps the status as text, so that a value a
/// newer Weavz adds is still shown, and asks [`ConnectionStatus::needs_attention`] whether
/// the user should act on it.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::ConnectionStatus;
///
/// let status: ConnectionStatus = serde_json::from_str(r#""ERROR""#).unwrap();
/// assert_eq!(status, ConnectionStatus::Error);
/// assert_eq!(serde_json::to_string(&ConnectionStatus::Active).unwrap(), r#""ACTIVE""#);
/// assert!(serde_json::from_str::<ConnectionStatus>(r#""active""#).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionStatus {
    /// Working: its credentials were accepted.
    #[default]
    Active,
    /// Stopped working (expired or revoked credentials, …): it needs to be reconnected.
    Error,
}

impl ConnectionStatus {
    /// The wire text: `ACTIVE` or `ERROR`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::ConnectionStatus;
    ///
    /// assert_eq!(ConnectionStatus::Error.as_str(), "ERROR");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "ACTIVE",
            ConnectionStatus::Error => "ERROR",
        }
    }

    /// Whether a connection whose `status` is `status` needs its user: anything but
    /// `ACTIVE`, unknown values included (a status nobody can read is no sign of health).
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::ConnectionStatus;
    ///
    /// assert!(!ConnectionStatus::needs_attention("ACTIVE"));
    /// assert!(ConnectionStatus::needs_attention("ERROR"));
    /// assert!(ConnectionStatus::needs_attention("SUSPENDED"));
    /// assert!(ConnectionStatus::needs_attention(""));
    /// ```
    pub fn needs_attention(status: &str) -> bool {
        status != ConnectionStatus::Active.as_str()
    }
}

/// Body of `POST /api/v1/connect/session/poll`'s answer.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::{PollResponse, SessionStatus};
///
/// let raw = r#"{"status":"COMPLETED","connectionId":"conn_1","integrationName":"slack",
///               "externalId":"user-42","oauthAppMode":"weavz_managed","newField":1}"#;
/// let poll: PollResponse = serde_json::from_str(raw).unwrap();
/// assert_eq!(poll.status, SessionStatus::Completed);
/// assert_eq!(poll.connection_id.as_deref(), Some("conn_1"));
/// assert_eq!(poll.oauth_app_mode.as_deref(), Some("weavz_managed"));
/// assert_eq!(poll.error, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollResponse {
    /// Where the session stands.
    pub status: SessionStatus,
    /// The connection, once `COMPLETED`.
    pub connection_id: Option<String>,
    /// The integration the token was created for.
    pub integration_name: Option<String>,
    /// The `externalId` the token was created with.
    pub external_id: Option<String>,
    /// Why the session failed, once `FAILED`.
    pub error: Option<String>,
    /// The workspace integration used, when Weavz reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_integration_id: Option<String>,
    /// The auth method used, when Weavz reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method_key: Option<String>,
    /// `weavz_managed` or `custom`, when Weavz reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_app_mode: Option<String>,
    /// The OAuth app used, when Weavz reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_app_id: Option<String>,
}

/// Body of the answers that hand out a link to the hosted pages: `POST
/// /api/v1/connect/token` (a connect session) and `POST /api/v1/end-users/:id/connect-token`
/// (an end-user portal). The widget opens either the same way.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::TokenResponse;
///
/// let raw = r#"{"token":"cst_1","connectUrl":"https://platform.weavz.io/connect?token=cst_1",
///               "expiresAt":"2030-01-01T00:00:00Z"}"#;
/// let token: TokenResponse = serde_json::from_str(raw).unwrap();
/// assert_eq!(token.token, "cst_1");
/// assert!(token.connect_url.ends_with("?token=cst_1"));
///
/// // A portal link has the same shape.
/// let raw = r#"{"token":"eut_1","connectUrl":"https://platform.weavz.io/connect/portal?token=eut_1",
///               "expiresAt":"2030-01-01T00:00:00Z"}"#;
/// let portal: TokenResponse = serde_json::from_str(raw).unwrap();
/// assert!(portal.connect_url.contains("/connect/portal?"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// The connect session token, `cst_…`, or the end-user portal token, `eut_…`.
    pub token: String,
    /// The hosted page to open: `<connect origin>/connect?token=…` for a session,
    /// `<connect origin>/connect/portal?token=…` for a portal.
    pub connect_url: String,
    /// When the token stops working (ISO-8601).
    pub expires_at: String,
}

/// Longest id-like string (connection id, names, external ids) accepted from a message.
///
/// # Examples
///
/// An adapter records a longer string as [`Field::TooLong`], which [`parse_result`] rejects:
///
/// ```
/// use weavz_connect::protocol::{Field, MAX_ID_LEN, RawMessage, Rejection, parse_result};
///
/// let read = |s: String| if s.len() > MAX_ID_LEN { Field::TooLong } else { Field::Text(s) };
/// let raw = RawMessage {
///     is_object: true,
///     kind: Field::Text("weavz-connect-result".into()),
///     status: Field::Text("success".into()),
///     connection_id: read("c".repeat(MAX_ID_LEN + 1)),
///     integration_name: read("slack".into()),
///     external_id: read("user-42".into()),
///     ..RawMessage::default()
/// };
/// assert_eq!(parse_result(&raw), Err(Rejection::TooLong("connectionId")));
/// ```
pub const MAX_ID_LEN: usize = 256;
/// Longest error text accepted from a message.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::{Field, MAX_ERROR_LEN, RawMessage, Rejection, parse_result};
///
/// let long = "x".repeat(MAX_ERROR_LEN + 1);
/// let raw = RawMessage {
///     is_object: true,
///     kind: Field::Text("weavz-connect-result".into()),
///     status: Field::Text("error".into()),
///     error: if long.len() > MAX_ERROR_LEN { Field::TooLong } else { Field::Text(long) },
///     ..RawMessage::default()
/// };
/// assert_eq!(parse_result(&raw), Err(Rejection::TooLong("error")));
/// ```
pub const MAX_ERROR_LEN: usize = 2048;

/// Longest `type` read from a message (the only accepted one is much shorter).
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::{MAX_TYPE_LEN, RESULT_MESSAGE_TYPE};
///
/// assert!(RESULT_MESSAGE_TYPE.len() <= MAX_TYPE_LEN);
/// ```
pub const MAX_TYPE_LEN: usize = 64;

/// Longest `status` read from a message; a longer one is not `"error"`, so it reads as a
/// success (as in the official client).
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::MAX_STATUS_LEN;
///
/// assert!("completed".len() <= MAX_STATUS_LEN);
/// ```
pub const MAX_STATUS_LEN: usize = 32;

/// The fields of an incoming `message` event's `data`, read one by one (never the whole
/// object) by the browser adapter. `None` means "absent or not a string"; a string over
/// its cap is recorded as [`Field::TooLong`] without being copied.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::{Field, RawMessage, ResultMessage, parse_result};
///
/// let text = |s: &str| Field::Text(s.into());
/// let raw = RawMessage {
///     is_object: true,
///     kind: text("weavz-connect-result"),
///     status: text("success"),
///     connection_id: text("conn_1"),
///     integration_name: text("slack"),
///     external_id: text("user-42"),
///     ..RawMessage::default()
/// };
/// assert_eq!(parse_result(&raw), Ok(ResultMessage::success("conn_1", "slack", "user-42")));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawMessage {
    /// `data` was a plain object.
    pub is_object: bool,
    /// `data.type`.
    pub kind: Field,
    /// `data.status`.
    pub status: Field,
    /// `data.connectionId`.
    pub connection_id: Field,
    /// `data.integrationName`.
    pub integration_name: Field,
    /// `data.externalId`.
    pub external_id: Field,
    /// `data.endUserId`.
    pub end_user_id: Field,
    /// `data.error`.
    pub error: Field,
}

/// One string field of a [`RawMessage`].
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::{Field, RawMessage, ResultMessage, ResultOutcome, parse_result};
///
/// // An error result whose `error` is absent gets a fallback text, never an empty one.
/// let raw = RawMessage {
///     is_object: true,
///     kind: Field::Text("weavz-connect-result".into()),
///     status: Field::Text("error".into()),
///     error: Field::Missing,
///     ..RawMessage::default()
/// };
/// let msg = parse_result(&raw).unwrap();
/// assert_eq!(msg.outcome, ResultOutcome::Error { error: "Connection failed".into() });
/// assert_eq!(Field::default(), Field::Missing);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Field {
    /// Absent, or not a string.
    #[default]
    Missing,
    /// A string within its cap.
    Text(String),
    /// A string longer than its cap (not copied).
    TooLong,
}

impl Field {
    fn text(&self) -> Option<&str> {
        match self {
            Field::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a message was not accepted as a `weavz-connect-result`.
///
/// # Examples
///
/// ```
/// use weavz_connect::protocol::{Field, RawMessage, Rejection, parse_result};
///
/// assert_eq!(parse_result(&RawMessage::default()), Err(Rejection::NotAnObject));
/// let raw = RawMessage {
///     is_object: true,
///     kind: Field::Text("weavz-connect-result".into()),
///     status: Field::Text("success".into()),
///     ..RawMessage::default()
/// };
/// assert_eq!(parse_result(&raw), Err(Rejection::MissingField("connectionId")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// `data` is not a plain object.
    NotAnObject,
    /// `type` is not `weavz-connect-result`.
    WrongType,
    /// A required field is missing, empty or not a string.
    MissingField(&'static str),
    /// A field is longer than allowed.
    TooLong(&'static str),
}

impl Rejection {
    /// A short English description for the debug stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::protocol::Rejection;
    ///
    /// assert_eq!(Rejection::WrongType.describe(), "type is not weavz-connect-result");
    /// assert_eq!(Rejection::TooLong("error").describe(), "a field is too long");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            Rejection::NotAnObject => "data is not an object",
            Rejection::WrongType => "type is not weavz-connect-result",
            Rejection::MissingField(_) => "a required field is missing",
            Rejection::TooLong(_) => "a field is too long",
        }
    }
}

/// Validates a [`RawMessage`] into a [`ResultMessage`], as liberally as the official client
/// (`@weavz-io/sdk`'s `connect.popup()`) does: `type` must be `weavz-connect-result`;
/// `status: "error"` is a failure (with `error`, or a fallback text); any other `status`, or
/// none, is a success when it carries a non-empty `connectionId`. `integrationName`,
/// `externalId` and `endUserId` are read when present. Fields over their caps are refused.
/// Unknown keys were never read.
///
/// ```
/// use weavz_connect::protocol::{parse_result, Field, RawMessage, Rejection, ResultOutcome};
/// let raw = RawMessage { is_object: true, kind: Field::Text("other".into()), ..Default::default() };
/// assert_eq!(parse_result(&raw), Err(Rejection::WrongType));
///
/// // No status, only a connection id: a success, as the SDK reads it.
/// let minimal = RawMessage {
///     is_object: true,
///     kind: Field::Text("weavz-connect-result".into()),
///     connection_id: Field::Text("conn_1".into()),
///     ..Default::default()
/// };
/// let outcome = parse_result(&minimal).unwrap().outcome;
/// assert!(matches!(outcome, ResultOutcome::Success { ref connection_id, integration_name: None, .. } if connection_id == "conn_1"));
/// ```
pub fn parse_result(raw: &RawMessage) -> Result<ResultMessage, Rejection> {
    if !raw.is_object {
        return Err(Rejection::NotAnObject);
    }
    if raw.kind.text() != Some(RESULT_MESSAGE_TYPE) {
        return Err(Rejection::WrongType);
    }
    let optional = |field: &Field, name: &'static str| match field {
        Field::Text(s) if !s.is_empty() => Ok(Some(s.clone())),
        Field::TooLong => Err(Rejection::TooLong(name)),
        _ => Ok(None),
    };
    if raw.status.text() == Some("error") {
        let error = match &raw.error {
            Field::Text(s) if !s.trim().is_empty() => s.clone(),
            Field::TooLong => return Err(Rejection::TooLong("error")),
            // Never an empty message: the SDK's fallback text.
            _ => "Connection failed".to_owned(),
        };
        return Ok(ResultMessage::error(error));
    }
    let connection_id = match &raw.connection_id {
        Field::Text(s) if !s.is_empty() => s.clone(),
        Field::TooLong => return Err(Rejection::TooLong("connectionId")),
        _ => return Err(Rejection::MissingField("connectionId")),
    };
    Ok(ResultMessage {
        kind: MessageType::ConnectResult,
        outcome: ResultOutcome::Success {
            connection_id,
            integration_name: optional(&raw.integration_name, "integrationName")?,
            external_id: optional(&raw.external_id, "externalId")?,
            end_user_id: optional(&raw.end_user_id, "endUserId")?,
        },
    })
}

/// A string-valued key of a deserialized message: anything else reads as absent.
#[derive(Deserialize)]
#[serde(untagged)]
enum MaybeText {
    Text(String),
    Other(serde::de::IgnoredAny),
}

/// The keys of a result message, as serde reads them; turned into a [`ResultMessage`] by
/// the same [`parse_result`] the browser adapter uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMessage {
    #[serde(rename = "type")]
    kind: Option<MaybeText>,
    status: Option<MaybeText>,
    connection_id: Option<MaybeText>,
    integration_name: Option<MaybeText>,
    external_id: Option<MaybeText>,
    end_user_id: Option<MaybeText>,
    error: Option<MaybeText>,
}

impl TryFrom<WireMessage> for ResultMessage {
    type Error = &'static str;

    fn try_from(wire: WireMessage) -> Result<Self, Self::Error> {
        let field = |value: Option<MaybeText>, cap: usize| match value {
            Some(MaybeText::Text(s)) if s.encode_utf16().count() > cap => Field::TooLong,
            Some(MaybeText::Text(s)) => Field::Text(s),
            Some(MaybeText::Other(_)) | None => Field::Missing,
        };
        let raw = RawMessage {
            is_object: true,
            kind: field(wire.kind, MAX_TYPE_LEN),
            status: field(wire.status, MAX_STATUS_LEN),
            connection_id: field(wire.connection_id, MAX_ID_LEN),
            integration_name: field(wire.integration_name, MAX_ID_LEN),
            external_id: field(wire.external_id, MAX_ID_LEN),
            end_user_id: field(wire.end_user_id, MAX_ID_LEN),
            error: field(wire.error, MAX_ERROR_LEN),
        };
        parse_result(&raw).map_err(Rejection::describe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_round_trips_and_ignores_unknown_keys() {
        let raw = r#"{"type":"weavz-connect-result","status":"success","connectionId":"c",
            "integrationName":"slack","externalId":"e","extra":{"nested":true}}"#;
        let msg: ResultMessage = serde_json::from_str(raw).unwrap();
        assert_eq!(msg, ResultMessage::success("c", "slack", "e"));
        let back = serde_json::to_value(&msg).unwrap();
        assert_eq!(back["type"], "weavz-connect-result");
        assert_eq!(back["connectionId"], "c");
        assert!(back.get("endUserId").is_none());
    }

    #[test]
    fn rejects_other_types_and_successes_without_a_connection() {
        for raw in [
            r#"{"type":"other","status":"error","error":"x"}"#,
            r#"{"type":"weavz-connect-result","status":"maybe"}"#,
            r#"{"type":"weavz-connect-result","status":"success"}"#,
            r#"{"type":"weavz-connect-result"}"#,
            r#"{"type":"weavz-connect-result","connectionId":""}"#,
            r#"{"type":"weavz-connect-result","connectionId":7}"#,
            r#"{"status":"error","error":"x"}"#,
        ] {
            assert!(serde_json::from_str::<ResultMessage>(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn every_status_but_error_is_a_success_as_in_the_official_client() {
        for status in [
            None,
            Some("\"success\""),
            Some("\"completed\""),
            Some("\"ERROR\""),
            Some("\"Error\""),
            Some("\"cancelled\""),
            Some("null"),
            Some("3"),
            Some("{\"a\":1}"),
        ] {
            let status = status.map(|s| format!(r#","status":{s}"#)).unwrap_or_default();
            let raw = format!(r#"{{"type":"weavz-connect-result"{status},"connectionId":"c","x":[1]}}"#);
            let msg: ResultMessage = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(
                msg.outcome,
                ResultOutcome::Success {
                    connection_id: "c".into(),
                    integration_name: None,
                    external_id: None,
                    end_user_id: None
                },
                "{raw}"
            );
        }
        let long = "s".repeat(MAX_STATUS_LEN + 1);
        let mut m = raw(&long);
        m.status = Field::TooLong;
        assert!(matches!(
            parse_result(&m),
            Ok(ResultMessage {
                outcome: ResultOutcome::Success { .. },
                ..
            })
        ));
        // Only the exact literal is an error, with or without a text.
        let err: ResultMessage =
            serde_json::from_str(r#"{"type":"weavz-connect-result","status":"error","connectionId":"c"}"#)
                .unwrap();
        assert_eq!(err, ResultMessage::error("Connection failed"));
    }

    fn raw(status: &str) -> RawMessage {
        let t = |s: &str| Field::Text(s.into());
        RawMessage {
            is_object: true,
            kind: t(RESULT_MESSAGE_TYPE),
            status: t(status),
            connection_id: t("c"),
            integration_name: t("slack"),
            external_id: t("e"),
            end_user_id: Field::Missing,
            error: Field::Missing,
        }
    }

    #[test]
    fn raw_messages_are_validated() {
        assert_eq!(
            parse_result(&raw("success")),
            Ok(ResultMessage::success("c", "slack", "e"))
        );
        assert_eq!(
            parse_result(&raw("error")),
            Ok(ResultMessage::error("Connection failed"))
        );
        assert_eq!(
            parse_result(&raw("maybe")),
            Ok(ResultMessage::success("c", "slack", "e"))
        );
        let mut m = raw("success");
        m.connection_id = Field::TooLong;
        assert_eq!(parse_result(&m), Err(Rejection::TooLong("connectionId")));
        m.connection_id = Field::Text(String::new());
        assert_eq!(parse_result(&m), Err(Rejection::MissingField("connectionId")));
        let mut m = raw("success");
        m.is_object = false;
        assert_eq!(parse_result(&m), Err(Rejection::NotAnObject));
        let mut m = raw("error");
        m.error = Field::Text("Denied".into());
        assert_eq!(parse_result(&m), Ok(ResultMessage::error("Denied")));
        m.error = Field::TooLong;
        assert_eq!(parse_result(&m), Err(Rejection::TooLong("error")));
        let mut m = raw("success");
        m.integration_name = Field::TooLong;
        assert_eq!(parse_result(&m), Err(Rejection::TooLong("integrationName")));
        let mut m = raw("success");
        m.end_user_id = Field::TooLong;
        assert_eq!(parse_result(&m), Err(Rejection::TooLong("endUserId")));
        let mut m = raw("success");
        m.end_user_id = Field::Text("u".into());
        assert!(matches!(
            parse_result(&m),
            Ok(ResultMessage {
                outcome: ResultOutcome::Success {
                    end_user_id: Some(_),
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn poll_response_uses_weavz_names() {
        let raw = r#"{"status":"COMPLETED","connectionId":"c","integrationName":"slack",
            "externalId":"e","error":null}"#;
        let poll: PollResponse = serde_json::from_str(raw).unwrap();
        assert_eq!(poll.status, SessionStatus::Completed);
        assert!(poll.status.is_terminal());
        assert!(!SessionStatus::Connecting.is_terminal());
        assert_eq!(poll.connection_id.as_deref(), Some("c"));
    }

    #[test]
    fn token_responses_round_trip_with_weavz_names() {
        for (token, path) in [("cst_1", "/connect"), ("eut_1", "/connect/portal")] {
            let answer = TokenResponse {
                token: token.into(),
                connect_url: format!("https://connect.example{path}?token={token}"),
                expires_at: "2030-01-01T00:00:00Z".into(),
            };
            let json = serde_json::to_value(&answer).unwrap();
            assert_eq!(
                json,
                serde_json::json!({
                    "token": token,
                    "connectUrl": format!("https://connect.example{path}?token={token}"),
                    "expiresAt": "2030-01-01T00:00:00Z",
                })
            );
            assert_eq!(serde_json::from_value::<TokenResponse>(json).unwrap(), answer);
        }
        // A newer server's extra key is ignored; a missing one is an error.
        let extra = r#"{"token":"t","connectUrl":"u","expiresAt":"x","endUserId":"e"}"#;
        assert_eq!(serde_json::from_str::<TokenResponse>(extra).unwrap().token, "t");
        assert!(serde_json::from_str::<TokenResponse>(r#"{"token":"t","connectUrl":"u"}"#).is_err());
    }
}
