//! Wire types of the hosted connect flow, as seen by the browser.
//!
//! These mirror what the Weavz connect API and hosted page send (see `docs/protocol.md`).
//! Unknown keys are ignored everywhere, so newer servers stay compatible.

use serde::{Deserialize, Serialize};

/// The `type` every completion message from the hosted connect page carries.
pub const RESULT_MESSAGE_TYPE: &str = "weavz-connect-result";

/// Query parameters the hosted page appends to `successRedirectUri` / `errorRedirectUri`
/// when it finishes without an opener (redirect mode). They are hints only: confirm the
/// outcome by polling the session.
pub mod redirect_params {
    /// `success` or `error`.
    pub const STATUS: &str = "weavz_status";
    /// The created connection's id (success only).
    pub const CONNECTION_ID: &str = "weavz_connection_id";
    /// The integration's name, e.g. `slack`.
    pub const INTEGRATION_NAME: &str = "weavz_integration";
    /// The `externalId` the connect token was created with.
    pub const EXTERNAL_ID: &str = "weavz_external_id";
    /// A human-readable error (error only).
    pub const ERROR: &str = "weavz_error";
    /// The widget's own marker in the return URL it asks for: the pending flow's id.
    pub const FLOW: &str = "weavz_flow";
    /// The prefix of every parameter above: the widget strips them from the address bar.
    pub const PREFIX: &str = "weavz_";
}

/// Marker for the literal `"weavz-connect-result"` in [`ResultMessage::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageType {
    /// The only accepted value.
    #[serde(rename = "weavz-connect-result")]
    ConnectResult,
}

/// The message the hosted page posts to `window.opener` when the flow ends.
///
/// ```
/// use weavz_connect::protocol::{ResultMessage, ResultOutcome};
/// let msg = ResultMessage::error("Access was denied");
/// let json = serde_json::to_string(&msg).unwrap();
/// assert_eq!(json, r#"{"type":"weavz-connect-result","status":"error","error":"Access was denied"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub fn success(
        connection_id: impl Into<String>,
        integration_name: impl Into<String>,
        external_id: impl Into<String>,
    ) -> Self {
        ResultMessage {
            kind: MessageType::ConnectResult,
            outcome: ResultOutcome::Success {
                connection_id: connection_id.into(),
                integration_name: integration_name.into(),
                external_id: external_id.into(),
                end_user_id: None,
            },
        }
    }

    /// An error message carrying a human-readable reason.
    pub fn error(error: impl Into<String>) -> Self {
        ResultMessage {
            kind: MessageType::ConnectResult,
            outcome: ResultOutcome::Error { error: error.into() },
        }
    }
}

/// The two outcomes a [`ResultMessage`] can report, tagged by `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ResultOutcome {
    /// The connection was created (or updated).
    #[serde(rename_all = "camelCase")]
    Success {
        /// Id of the connection.
        connection_id: String,
        /// Name of the integration, e.g. `slack`.
        integration_name: String,
        /// The `externalId` given when the token was created.
        external_id: String,
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
    pub fn is_terminal(self) -> bool {
        matches!(self, SessionStatus::Completed | SessionStatus::Failed)
    }
}

/// Body of `POST /api/v1/connect/session/poll`'s answer.
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

/// Body of `POST /api/v1/connect/token`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// The connect session token, `cst_…`.
    pub token: String,
    /// The hosted page to open: `<connect origin>/connect?token=…`.
    pub connect_url: String,
    /// When the token stops working (ISO-8601).
    pub expires_at: String,
}

/// Longest id-like string (connection id, names, external ids) accepted from a message.
pub const MAX_ID_LEN: usize = 256;
/// Longest error text accepted from a message.
pub const MAX_ERROR_LEN: usize = 2048;

/// The fields of an incoming `message` event's `data`, read one by one (never the whole
/// object) by the browser adapter. `None` means "absent or not a string"; a string over
/// its cap is recorded as [`Field::TooLong`] without being copied.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// `data` is not a plain object.
    NotAnObject,
    /// `type` is not `weavz-connect-result`.
    WrongType,
    /// `status` is neither `success` nor `error`.
    BadStatus,
    /// A required field is missing, empty or not a string.
    MissingField(&'static str),
    /// A field is longer than allowed.
    TooLong(&'static str),
}

impl Rejection {
    /// A short English description for the debug stream.
    pub fn describe(self) -> &'static str {
        match self {
            Rejection::NotAnObject => "data is not an object",
            Rejection::WrongType => "type is not weavz-connect-result",
            Rejection::BadStatus => "status is neither success nor error",
            Rejection::MissingField(_) => "a required field is missing",
            Rejection::TooLong(_) => "a field is too long",
        }
    }
}

/// Validates a [`RawMessage`] into a [`ResultMessage`]. Unknown keys were never read.
///
/// ```
/// use weavz_connect::protocol::{parse_result, Field, RawMessage, Rejection};
/// let raw = RawMessage { is_object: true, kind: Field::Text("other".into()), ..Default::default() };
/// assert_eq!(parse_result(&raw), Err(Rejection::WrongType));
/// ```
pub fn parse_result(raw: &RawMessage) -> Result<ResultMessage, Rejection> {
    if !raw.is_object {
        return Err(Rejection::NotAnObject);
    }
    if raw.kind.text() != Some(RESULT_MESSAGE_TYPE) {
        return Err(Rejection::WrongType);
    }
    let required = |field: &Field, name: &'static str| match field {
        Field::Text(s) if !s.is_empty() => Ok(s.clone()),
        Field::TooLong => Err(Rejection::TooLong(name)),
        _ => Err(Rejection::MissingField(name)),
    };
    match raw.status.text() {
        Some("success") => {
            let end_user_id = match &raw.end_user_id {
                Field::Text(s) if !s.is_empty() => Some(s.clone()),
                Field::TooLong => return Err(Rejection::TooLong("endUserId")),
                _ => None,
            };
            Ok(ResultMessage {
                kind: MessageType::ConnectResult,
                outcome: ResultOutcome::Success {
                    connection_id: required(&raw.connection_id, "connectionId")?,
                    integration_name: required(&raw.integration_name, "integrationName")?,
                    external_id: required(&raw.external_id, "externalId")?,
                    end_user_id,
                },
            })
        }
        Some("error") => {
            let error = match &raw.error {
                Field::Text(s) if !s.trim().is_empty() => s.clone(),
                Field::TooLong => return Err(Rejection::TooLong("error")),
                // Never an empty message: the SDK's fallback text.
                _ => "Connection failed".to_owned(),
            };
            Ok(ResultMessage::error(error))
        }
        _ => Err(Rejection::BadStatus),
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
    fn rejects_other_types_and_statuses() {
        for raw in [
            r#"{"type":"other","status":"error","error":"x"}"#,
            r#"{"type":"weavz-connect-result","status":"maybe"}"#,
            r#"{"type":"weavz-connect-result","status":"success"}"#,
            r#"{"status":"error","error":"x"}"#,
        ] {
            assert!(serde_json::from_str::<ResultMessage>(raw).is_err(), "{raw}");
        }
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
        assert_eq!(parse_result(&raw("maybe")), Err(Rejection::BadStatus));
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
}
