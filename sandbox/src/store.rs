//! In-memory records: connect sessions, end users, connections, OAuth state, provider grants.

use std::collections::HashMap;

use serde_json::{Value, json};
use time::OffsetDateTime;

use weavz_connect::protocol::SessionStatus;

use crate::util::iso;

/// How long a poll held by the `pollHangs` knob waits before its 503: longer than any
/// client's poll timeout, shorter than the demo host's 30 s upstream timeout.
pub const POLL_HANG: std::time::Duration = std::time::Duration::from_secs(25);

/// Most polls the `pollHangs` knob may hold.
pub const MAX_POLL_HANGS: u32 = 5;

/// Fault knobs chosen per connect token (`"sandbox": {…}` in the token request).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Knobs {
    /// Provider pages send `Cross-Origin-Opener-Policy: same-origin`.
    #[serde(default)]
    pub provider_coop: bool,
    /// The provider (or the credential form) takes this long to answer.
    #[serde(default)]
    pub consent_delay_ms: u64,
    /// How the hosted page reports its result to the opener.
    #[serde(default)]
    pub post_message: PostMessageMode,
    /// The first N polls answer 503 with `Retry-After: 1`.
    #[serde(default)]
    pub poll_failures: u32,
    /// The first N polls get no answer for [`POLL_HANG`] (then a 503): a session endpoint
    /// that never answers, for clients' poll timeouts. Counted before `poll_failures`.
    #[serde(default)]
    pub poll_hangs: u32,
    /// Token lifetime in seconds instead of 4 hours.
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
    /// The provider denies consent without asking.
    #[serde(default)]
    pub auto_deny: bool,
    /// The shape of the finish page's success message.
    #[serde(default)]
    pub result_shape: ResultShape,
}

/// What the finish page's success message looks like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultShape {
    /// `status: "success"`, then the window closes 150 ms later.
    #[default]
    Standard,
    /// What the official TS SDK accepts and a real Weavz may send: no `status` key on
    /// success, and the window closes at once. Errors keep `status: "error"`.
    SdkMinimal,
}

/// What the hosted page does with `window.opener` when it finishes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostMessageMode {
    /// Post to every allowed opener origin, each with an exact `targetOrigin`.
    #[default]
    Opener,
    /// Never post.
    None,
    /// Post only to an origin the opener does not have.
    WrongOrigin,
}

/// Connection scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Scope {
    /// Visible to the whole organization.
    Organization,
    /// Visible in one workspace.
    Workspace,
    /// Belongs to one end user.
    User,
}

impl Scope {
    /// How narrow the scope is: a user's connection is more specific than a workspace's,
    /// which is more specific than the organization's. Resolution prefers the narrowest.
    pub fn specificity(self) -> u8 {
        match self {
            Scope::Organization => 0,
            Scope::Workspace => 1,
            Scope::User => 2,
        }
    }

    /// The wire name, e.g. `WORKSPACE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Organization => "ORGANIZATION",
            Scope::Workspace => "WORKSPACE",
            Scope::User => "USER",
        }
    }
}

/// A connect session, created by `POST /api/v1/connect/token`.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub token: String,
    pub integration_name: String,
    pub connection_name: String,
    pub external_id: String,
    pub workspace_id: String,
    /// The end user's external id.
    pub end_user_id: Option<String>,
    pub scope: Scope,
    pub success_redirect_uri: Option<String>,
    pub error_redirect_uri: Option<String>,
    pub knobs: Knobs,
    pub status: SessionStatus,
    pub connection_id: Option<String>,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Polls answered so far (for the `pollFailures` knob).
    pub polls: u32,
    /// The browser id (cookie) of the browser that opened the session's connect page
    /// first; every later step must come from it. `None` until then.
    pub browser: Option<String>,
    /// The [`portal_key`] of the portal token that started the session, if one did.
    pub portal: Option<String>,
}

impl Session {
    /// Whether the token no longer works at `now`.
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// Moves to a terminal state (once: a terminal session never changes again).
    pub fn finish(&mut self, now: OffsetDateTime, result: Result<String, String>) {
        if self.status.is_terminal() {
            return;
        }
        match result {
            Ok(connection_id) => {
                self.status = SessionStatus::Completed;
                self.connection_id = Some(connection_id);
            }
            Err(error) => {
                self.status = SessionStatus::Failed;
                self.error = Some(error);
            }
        }
        self.updated_at = now;
    }

    /// The body of `POST /api/v1/connect/session/poll`.
    pub fn poll_json(&self) -> Value {
        json!({
            "status": self.status,
            "connectionId": self.connection_id,
            "integrationName": self.integration_name,
            "externalId": self.external_id,
            "error": self.error,
        })
    }

    /// The `session` object of `GET /api/v1/connect/session/:id`.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "integrationName": self.integration_name,
            "connectionName": self.connection_name,
            "externalId": self.external_id,
            "workspaceId": self.workspace_id,
            "endUserId": self.end_user_id,
            "scope": self.scope,
            "status": self.status,
            "connectionId": self.connection_id,
            "error": self.error,
            "expiresAt": iso(self.expires_at),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        })
    }
}

/// An end user of the host app.
#[derive(Debug, Clone)]
pub struct EndUser {
    pub id: String,
    pub workspace_id: String,
    pub external_id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub metadata: Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl EndUser {
    /// The `endUser` object.
    pub fn json(&self, connection_count: usize) -> Value {
        json!({
            "id": self.id,
            "workspaceId": self.workspace_id,
            "externalId": self.external_id,
            "displayName": self.display_name,
            "email": self.email,
            "metadata": self.metadata,
            "type": "external",
            "connectionCount": connection_count,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        })
    }
}

/// An end-user portal token (`eut_…`).
#[derive(Debug, Clone)]
pub struct PortalToken {
    pub end_user_id: String,
    pub integration_name: Option<String>,
    pub expires_at: OffsetDateTime,
    /// Knobs for every session the portal starts (`"sandbox": {…}` in the token request).
    pub knobs: Knobs,
    /// The browser id of the browser that opened the portal first (see [`Session::browser`]).
    pub browser: Option<String>,
}

/// A portal token's public name: what the connect origin's pages may keep in a window's
/// storage instead of the token itself.
pub fn portal_key(token: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("weavz-portal:{token}").as_bytes());
    format!(
        "pt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    )
}

/// A stored connection. Credentials are kept but never serialised.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: String,
    pub external_id: String,
    pub display_name: String,
    pub integration_name: String,
    pub kind: &'static str,
    pub scope: Scope,
    /// `None` for an organization-wide connection created without a workspace.
    pub workspace_id: Option<String>,
    /// The end user's external id.
    pub end_user_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The secret material (API key, password, OAuth tokens). Never leaves the sandbox.
    pub credentials: Value,
}

impl Connection {
    /// The public connection object.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "externalId": self.external_id,
            "displayName": self.display_name,
            "integrationName": self.integration_name,
            "type": self.kind,
            "status": "ACTIVE",
            "scope": self.scope,
            "workspaceId": self.workspace_id,
            "endUserId": self.end_user_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        })
    }

    /// Whether two connections occupy the same slot, which only one may hold: same
    /// integration, scope and `externalId`, and the same owner for that scope (the
    /// organization, one workspace, or one end user of one workspace).
    pub fn same_slot(&self, other: &Connection) -> bool {
        self.integration_name == other.integration_name
            && self.external_id == other.external_id
            && self.scope == other.scope
            && match self.scope {
                Scope::Organization => true,
                Scope::Workspace => self.workspace_id == other.workspace_id,
                Scope::User => {
                    self.workspace_id == other.workspace_id && self.end_user_id == other.end_user_id
                }
            }
    }

    /// Whether a caller working in `workspace_id`, on behalf of the end user whose
    /// external id is `end_user_id` (if any), may use this connection.
    pub fn visible_from(&self, workspace_id: &str, end_user_id: Option<&str>) -> bool {
        let same_workspace = self.workspace_id.as_deref() == Some(workspace_id);
        match self.scope {
            Scope::Organization => true,
            Scope::Workspace => same_workspace,
            Scope::User => {
                same_workspace && end_user_id.is_some() && self.end_user_id.as_deref() == end_user_id
            }
        }
    }

    /// Whether the connection is linked to `user` (same workspace, their external id).
    pub fn belongs_to(&self, user: &EndUser) -> bool {
        self.workspace_id.as_deref() == Some(user.workspace_id.as_str())
            && self.end_user_id.as_deref() == Some(user.external_id.as_str())
    }
}

/// The connect side's record of an OAuth authorization in progress, keyed by `state`.
#[derive(Debug, Clone)]
pub struct OAuthPending {
    pub session_id: String,
    pub integration_name: String,
    pub verifier: String,
}

/// The provider's record of an authorization request waiting for the user's decision.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub app: String,
    pub redirect_uri: String,
    pub state: String,
    pub code_challenge: String,
    pub scope: String,
    pub coop: bool,
}

/// The provider's record of an issued authorization code.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub app: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub expires_at: OffsetDateTime,
}

/// Everything the sandbox remembers. One lock; every handler holds it briefly.
#[derive(Debug, Default)]
pub struct Store {
    pub sessions: HashMap<String, Session>,
    /// Connect token → session id.
    pub tokens: HashMap<String, String>,
    pub oauth_states: HashMap<String, OAuthPending>,
    pub end_users: HashMap<String, EndUser>,
    pub portal_tokens: HashMap<String, PortalToken>,
    /// In creation order.
    pub connections: Vec<Connection>,
    pub auth_requests: HashMap<String, AuthRequest>,
    pub codes: HashMap<String, CodeGrant>,
}

impl Store {
    /// The session behind a connect token, if the token is known.
    pub fn session_by_token(&mut self, token: &str) -> Option<&mut Session> {
        let id = self.tokens.get(token)?;
        self.sessions.get_mut(id)
    }

    /// The connections linked to an end user (by external id and workspace).
    pub fn connections_of<'a>(&'a self, user: &'a EndUser) -> impl Iterator<Item = &'a Connection> {
        self.connections.iter().filter(move |c| c.belongs_to(user))
    }

    /// Number of connections linked to an end user.
    pub fn connection_count(&self, user: &EndUser) -> usize {
        self.connections_of(user).count()
    }

    /// Removes an end user with everything that hangs off them: their connections, their
    /// portal tokens, and their unfinished connect sessions (which fail). Returns the end
    /// user, or `None` if there is no such id.
    pub fn remove_end_user(&mut self, id: &str, now: OffsetDateTime) -> Option<EndUser> {
        let user = self.end_users.remove(id)?;
        self.connections.retain(|c| !c.belongs_to(&user));
        self.portal_tokens.retain(|_, t| t.end_user_id != user.id);
        for session in self.sessions.values_mut() {
            if session.workspace_id == user.workspace_id
                && session.end_user_id.as_deref() == Some(user.external_id.as_str())
            {
                session.finish(now, Err("The end user was deleted.".into()));
            }
        }
        Some(user)
    }

    /// Inserts a connection, or updates the one in the same slot (see
    /// [`Connection::same_slot`]): reconnecting replaces credentials and keeps the id.
    /// Returns the id.
    pub fn upsert_connection(&mut self, mut conn: Connection) -> String {
        if let Some(existing) = self.connections.iter_mut().find(|c| c.same_slot(&conn)) {
            existing.display_name = conn.display_name;
            existing.credentials = conn.credentials;
            existing.end_user_id = conn.end_user_id.or(existing.end_user_id.take());
            existing.workspace_id = conn.workspace_id;
            existing.updated_at = conn.updated_at;
            return existing.id.clone();
        }
        conn.updated_at = conn.created_at;
        let id = conn.id.clone();
        self.connections.push(conn);
        id
    }
}
