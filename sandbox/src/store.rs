//! In-memory records: connect sessions, end users, connections, OAuth state, provider grants.

use std::collections::HashMap;

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use weavz_connect::protocol::{ConnectionStatus, PollResponse, SessionStatus};

use crate::bounded::{Bounded, Limit};
use crate::util::iso;

/// Connect tokens live 4 hours unless the `ttlSeconds` knob says otherwise.
pub const TOKEN_TTL: Duration = Duration::hours(4);

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

/// A connect session, created by `POST /api/v1/connect/token` (or a portal's start).
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub token: String,
    /// What the session is for, as the token request (or the portal) chose it.
    pub target: SessionTarget,
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

/// What a new connect session is for: what the token request (or the portal) chose.
#[derive(Debug, Clone)]
pub struct SessionTarget {
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
}

impl Session {
    /// A pending session for `target`, created at `created_at` and usable until
    /// `expires_at`: no connection, no error, no polls, no browser and no portal yet.
    pub fn new(
        id: String,
        token: String,
        target: SessionTarget,
        created_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Session {
        Session {
            id,
            token,
            target,
            status: SessionStatus::Pending,
            connection_id: None,
            error: None,
            created_at,
            updated_at: created_at,
            expires_at,
            polls: 0,
            browser: None,
            portal: None,
        }
    }

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

    /// The body of `POST /api/v1/connect/session/poll` (Weavz's optional fields stay
    /// absent: the sandbox does not report them).
    pub fn poll_response(&self) -> PollResponse {
        PollResponse {
            status: self.status,
            connection_id: self.connection_id.clone(),
            integration_name: Some(self.target.integration_name.clone()),
            external_id: Some(self.target.external_id.clone()),
            error: self.error.clone(),
            ..PollResponse::default()
        }
    }

    /// The `session` object of `GET /api/v1/connect/session/:id`.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "integrationName": self.target.integration_name,
            "connectionName": self.target.connection_name,
            "externalId": self.target.external_id,
            "workspaceId": self.target.workspace_id,
            "endUserId": self.target.end_user_id,
            "scope": self.target.scope,
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

impl EndUser {
    /// Roughly the bytes of text this record holds.
    pub fn approx_bytes(&self) -> usize {
        200 + self.id.len()
            + self.workspace_id.len()
            + self.external_id.len()
            + self.display_name.as_ref().map_or(0, String::len)
            + self.email.as_ref().map_or(0, String::len)
            + json_bytes(&self.metadata)
    }
}

/// Roughly the bytes of text a JSON value holds (its strings and keys, plus a little per
/// value).
fn json_bytes(v: &Value) -> usize {
    16 + match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(json_bytes).sum(),
        Value::Object(o) => o.iter().map(|(k, v)| k.len() + json_bytes(v)).sum(),
        _ => 0,
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
    /// `ACTIVE` unless set otherwise through `POST /sandbox/connections/{id}/status`;
    /// reconnecting (the same slot) makes it `ACTIVE` again.
    pub status: ConnectionStatus,
    /// Why it stopped working, for people (with `ERROR`).
    pub error: Option<String>,
    /// The secret material (API key, password, OAuth tokens). Never leaves the sandbox.
    pub credentials: Value,
}

impl Connection {
    /// The public connection object (`error` only when there is one).
    pub fn json(&self) -> Value {
        let mut json = json!({
            "id": self.id,
            "externalId": self.external_id,
            "displayName": self.display_name,
            "integrationName": self.integration_name,
            "type": self.kind,
            "status": self.status,
            "scope": self.scope,
            "workspaceId": self.workspace_id,
            "endUserId": self.end_user_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        });
        if let Some(error) = &self.error {
            json["error"] = Value::String(error.clone());
        }
        json
    }

    /// Roughly the bytes of text this record holds (credentials included).
    pub fn approx_bytes(&self) -> usize {
        200 + self.id.len()
            + self.external_id.len()
            + self.display_name.len()
            + self.integration_name.len()
            + self.workspace_id.as_ref().map_or(0, String::len)
            + self.end_user_id.as_ref().map_or(0, String::len)
            + self.error.as_ref().map_or(0, String::len)
            + json_bytes(&self.credentials)
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

/// How many records of each kind the sandbox keeps, and for how long. Whatever grows
/// with requests has a cap; a full kind drops its oldest record first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connect sessions and their tokens. They live as long as their token (at most 4
    /// hours) and ten minutes more, so that `GET /connect/session/:id` still shows
    /// how they ended.
    pub sessions: Limit,
    /// OAuth `state`s of the connect side (one per opening of an OAuth connect page).
    pub oauth_states: Limit,
    /// End-user portal tokens (also dropped when their own `expiresIn` is over).
    pub portal_tokens: Limit,
    /// The provider's authorization requests waiting for Approve / Deny.
    pub auth_requests: Limit,
    /// The provider's unredeemed authorization codes (they work for 60 s).
    pub codes: Limit,
    /// End users (the oldest goes, with everything that hangs off them).
    pub end_users: usize,
    /// Connections (the oldest goes).
    pub connections: usize,
    /// Roughly how many bytes of text all connections together may hold (credentials
    /// included); past it the oldest go.
    pub connection_bytes: usize,
    /// The same for end users (their metadata included).
    pub end_user_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sessions: Limit {
                cap: 2_000,
                max_age: Duration::hours(4) + SESSION_GRACE,
            },
            oauth_states: Limit {
                cap: 2_000,
                max_age: Duration::hours(1),
            },
            portal_tokens: Limit {
                cap: 1_000,
                max_age: Duration::days(30),
            },
            auth_requests: Limit {
                cap: 1_000,
                max_age: Duration::minutes(10),
            },
            codes: Limit {
                cap: 1_000,
                max_age: Duration::minutes(5),
            },
            end_users: 10_000,
            connections: 10_000,
            connection_bytes: 32 << 20,
            end_user_bytes: 32 << 20,
        }
    }
}

/// How long a session is kept after its token expired.
const SESSION_GRACE: Duration = Duration::minutes(10);

/// Everything the sandbox remembers. One lock; every handler holds it briefly.
#[derive(Debug)]
pub struct Store {
    pub sessions: Bounded<Session>,
    /// Connect token → session id.
    pub tokens: Bounded<String>,
    pub oauth_states: Bounded<OAuthPending>,
    pub end_users: HashMap<String, EndUser>,
    pub portal_tokens: Bounded<PortalToken>,
    /// In creation order.
    pub connections: Vec<Connection>,
    pub auth_requests: Bounded<AuthRequest>,
    pub codes: Bounded<CodeGrant>,
    limits: Limits,
}

impl Default for Store {
    fn default() -> Self {
        Store::new(Limits::default())
    }
}

impl Store {
    /// An empty store with these limits.
    pub fn new(limits: Limits) -> Self {
        Store {
            sessions: Bounded::new(limits.sessions),
            tokens: Bounded::new(limits.sessions),
            oauth_states: Bounded::new(limits.oauth_states),
            end_users: HashMap::new(),
            portal_tokens: Bounded::new(limits.portal_tokens),
            connections: Vec::new(),
            auth_requests: Bounded::new(limits.auth_requests),
            codes: Bounded::new(limits.codes),
            limits,
        }
    }

    /// Forgets what has expired at `at`: sessions ten minutes after their token, tokens
    /// and OAuth states whose session is gone, portal tokens past their `expiresIn`,
    /// provider requests and codes past their lifetime. Run periodically.
    pub fn prune(&mut self, at: OffsetDateTime) {
        self.sessions.prune(at);
        self.sessions.retain(|_, s| at < s.expires_at + SESSION_GRACE);
        self.tokens.prune(at);
        let sessions = &self.sessions;
        self.tokens.retain(|_, id| sessions.get_at(id, at).is_some());
        self.oauth_states.prune(at);
        self.oauth_states
            .retain(|_, p| sessions.get_at(&p.session_id, at).is_some());
        self.portal_tokens.prune(at);
        self.portal_tokens.retain(|_, t| at < t.expires_at);
        self.auth_requests.prune(at);
        self.codes.prune(at);
    }

    /// Stores a new end user; when there are as many as the limit allows (in number or
    /// in bytes), the oldest go first (with their connections, see
    /// [`Store::remove_end_user`]).
    pub fn insert_end_user(&mut self, user: EndUser, at: OffsetDateTime) {
        let (cap, budget) = (self.limits.end_users.max(1), self.limits.end_user_bytes);
        let mut bytes: usize = self.end_users.values().map(EndUser::approx_bytes).sum();
        let needed = user.approx_bytes();
        while !self.end_users.is_empty() && (self.end_users.len() >= cap || bytes + needed > budget) {
            let Some(oldest) = self
                .end_users
                .values()
                .min_by_key(|u| u.created_at)
                .map(|u| u.id.clone())
            else {
                break;
            };
            if let Some(gone) = self.remove_end_user(&oldest, at) {
                bytes -= gone.approx_bytes();
            }
        }
        self.end_users.insert(user.id.clone(), user);
    }

    /// Stores a new connection, then keeps to the limits (see
    /// [`Store::keep_connections_bounded`]).
    pub fn push_connection(&mut self, conn: Connection) {
        let id = conn.id.clone();
        self.connections.push(conn);
        self.keep_connections_bounded(&id);
    }

    /// Drops the oldest connections but `keep` while there are more than the limit
    /// allows, in number or in bytes.
    fn keep_connections_bounded(&mut self, keep: &str) {
        let (cap, budget) = (self.limits.connections.max(1), self.limits.connection_bytes);
        let mut bytes: usize = self.connections.iter().map(Connection::approx_bytes).sum();
        let mut count = self.connections.len();
        self.connections.retain(|c| {
            if (count <= cap && bytes <= budget) || c.id == keep {
                return true;
            }
            count -= 1;
            bytes -= c.approx_bytes();
            false
        });
    }

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
            if session.target.workspace_id == user.workspace_id
                && session.target.end_user_id.as_deref() == Some(user.external_id.as_str())
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
            // New credentials: working again.
            existing.status = ConnectionStatus::Active;
            existing.error = None;
            let id = existing.id.clone();
            // New credentials may be longer: the others make room, oldest first.
            self.keep_connections_bounded(&id);
            return id;
        }
        conn.updated_at = conn.created_at;
        let id = conn.id.clone();
        self.push_connection(conn);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    fn session(n: usize, created: OffsetDateTime, ttl: Duration) -> Session {
        let target = SessionTarget {
            integration_name: "openai".into(),
            connection_name: "OpenAI".into(),
            external_id: "user-1".into(),
            workspace_id: "w".into(),
            end_user_id: None,
            scope: Scope::Organization,
            success_redirect_uri: None,
            error_redirect_uri: None,
            knobs: Knobs::default(),
        };
        Session::new(
            format!("s{n}"),
            format!("cst_{n}"),
            target,
            created,
            created + ttl,
        )
    }

    fn add_session(store: &mut Store, s: Session) {
        let at = s.created_at;
        store.tokens.insert_at(s.token.clone(), s.id.clone(), at);
        store.sessions.insert_at(s.id.clone(), s, at);
    }

    fn small_limits() -> Limits {
        let limit = |cap, minutes| Limit {
            cap,
            max_age: Duration::minutes(minutes),
        };
        Limits {
            sessions: limit(3, 4 * 60 + 10),
            oauth_states: limit(3, 60),
            portal_tokens: limit(2, 60 * 24),
            auth_requests: limit(2, 10),
            codes: limit(2, 5),
            end_users: 2,
            connections: 2,
            connection_bytes: 1 << 20,
            end_user_bytes: 1 << 20,
        }
    }

    #[test]
    fn sessions_go_ten_minutes_after_their_token_with_their_token_and_state() {
        let mut store = Store::new(small_limits());
        add_session(&mut store, session(1, T0, Duration::seconds(60)));
        add_session(&mut store, session(2, T0, Duration::hours(4)));
        store.oauth_states.insert_at(
            "st_1".into(),
            OAuthPending {
                session_id: "s1".into(),
                integration_name: "slack".into(),
                verifier: "v".into(),
            },
            T0,
        );
        // Expired but within the grace: still shown by GET /connect/session/:id.
        store.prune(T0 + Duration::minutes(5));
        assert!(store.sessions.get_at("s1", T0 + Duration::minutes(5)).is_some());
        store.prune(T0 + Duration::minutes(11) + Duration::seconds(1));
        let at = T0 + Duration::minutes(12);
        assert!(store.sessions.get_at("s1", at).is_none(), "gone after the grace");
        assert!(store.tokens.get_at("cst_1", at).is_none(), "its token with it");
        assert!(
            store.oauth_states.get_at("st_1", at).is_none(),
            "and its OAuth state"
        );
        assert!(store.sessions.get_at("s2", at).is_some(), "a live one stays");
        assert_eq!(store.tokens.get_at("cst_2", at).map(String::as_str), Some("s2"));
        // Four hours and ten minutes is the longest any session is kept.
        store.prune(T0 + Duration::hours(4) + Duration::minutes(10));
        assert_eq!(store.sessions.len(), 0);
        assert_eq!(store.tokens.len(), 0);
    }

    #[test]
    fn a_full_store_drops_its_oldest_session_and_token_together() {
        let mut store = Store::new(small_limits());
        for n in 0..5 {
            add_session(
                &mut store,
                session(n, T0 + Duration::seconds(n as i64), Duration::hours(4)),
            );
        }
        let at = T0 + Duration::minutes(1);
        assert_eq!(store.sessions.len(), 3);
        assert_eq!(store.sessions.evicted(), 2);
        for n in 0..5 {
            let kept = n >= 2;
            assert_eq!(
                store.sessions.get_at(&format!("s{n}"), at).is_some(),
                kept,
                "s{n}"
            );
            assert_eq!(
                store.tokens.get_at(&format!("cst_{n}"), at).is_some(),
                kept,
                "cst_{n}"
            );
        }
    }

    #[test]
    fn portal_tokens_go_when_their_own_lifetime_ends() {
        let mut store = Store::new(small_limits());
        let token = |hours| PortalToken {
            end_user_id: "u".into(),
            integration_name: None,
            expires_at: T0 + Duration::hours(hours),
            knobs: Knobs::default(),
            browser: None,
        };
        store.portal_tokens.insert_at("eut_short".into(), token(1), T0);
        store.portal_tokens.insert_at("eut_long".into(), token(20), T0);
        store.prune(T0 + Duration::hours(2));
        assert_eq!(store.portal_tokens.len(), 1);
        assert!(
            store
                .portal_tokens
                .get_at("eut_long", T0 + Duration::hours(2))
                .is_some()
        );
        // Capped too: a third token drops the oldest.
        store
            .portal_tokens
            .insert_at("eut_a".into(), token(20), T0 + Duration::hours(2));
        store
            .portal_tokens
            .insert_at("eut_b".into(), token(20), T0 + Duration::hours(3));
        assert_eq!(store.portal_tokens.len(), 2);
        assert!(
            store
                .portal_tokens
                .get_at("eut_long", T0 + Duration::hours(3))
                .is_none()
        );
    }

    #[test]
    fn provider_requests_and_codes_expire_and_are_capped() {
        let mut store = Store::new(small_limits());
        let request = |state: &str| AuthRequest {
            app: "slack".into(),
            redirect_uri: "r".into(),
            state: state.into(),
            code_challenge: "c".into(),
            scope: "s".into(),
            coop: false,
        };
        store.auth_requests.insert_at("ar_1".into(), request("1"), T0);
        store
            .auth_requests
            .insert_at("ar_2".into(), request("2"), T0 + Duration::minutes(5));
        store
            .auth_requests
            .insert_at("ar_3".into(), request("3"), T0 + Duration::minutes(6));
        assert_eq!(store.auth_requests.len(), 2, "capped: the oldest went");
        assert!(
            store
                .auth_requests
                .get_at("ar_1", T0 + Duration::minutes(6))
                .is_none()
        );
        store.prune(T0 + Duration::minutes(15));
        assert_eq!(store.auth_requests.len(), 1, "ar_2 expired after 10 minutes");
        assert!(
            store
                .auth_requests
                .remove_at("ar_3", T0 + Duration::minutes(16))
                .is_none(),
            "an expired request cannot be answered"
        );
        let grant = CodeGrant {
            app: "slack".into(),
            client_id: "c".into(),
            redirect_uri: "r".into(),
            code_challenge: "c".into(),
            scope: "s".into(),
            expires_at: T0 + Duration::seconds(60),
        };
        store.codes.insert_at("code_1".into(), grant, T0);
        store.prune(T0 + Duration::minutes(5));
        assert!(store.codes.is_empty());
    }

    #[test]
    fn end_users_and_connections_are_capped_oldest_first() {
        let mut store = Store::new(small_limits());
        let user = |n: i64| EndUser {
            id: format!("u{n}"),
            workspace_id: "w".into(),
            external_id: format!("ext-{n}"),
            display_name: None,
            email: None,
            metadata: Value::Null,
            created_at: T0 + Duration::seconds(n),
            updated_at: T0 + Duration::seconds(n),
        };
        let conn = |n: i64, end_user: Option<&str>| Connection {
            id: format!("c{n}"),
            external_id: format!("x{n}"),
            display_name: "d".into(),
            integration_name: "openai".into(),
            kind: "SECRET_TEXT",
            scope: Scope::Workspace,
            workspace_id: Some("w".into()),
            end_user_id: end_user.map(str::to_owned),
            created_at: T0 + Duration::seconds(n),
            updated_at: T0 + Duration::seconds(n),
            status: ConnectionStatus::Active,
            error: None,
            credentials: Value::Null,
        };
        store.insert_end_user(user(1), T0);
        store.push_connection(conn(1, Some("ext-1")));
        store.insert_end_user(user(2), T0);
        store.insert_end_user(user(3), T0);
        let mut ids: Vec<_> = store.end_users.keys().cloned().collect();
        ids.sort();
        assert_eq!(ids, ["u2", "u3"], "the oldest end user went");
        assert!(store.connections.is_empty(), "with their connection");
        for n in 2..6 {
            store.upsert_connection(conn(n, None));
        }
        let ids: Vec<_> = store.connections.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c4", "c5"], "the oldest connections went");

        // A byte budget too: big credentials push the oldest out sooner.
        let mut store = Store::new(Limits {
            connections: 100,
            connection_bytes: 100_000,
            end_user_bytes: 100_000,
            ..small_limits()
        });
        let big = |n| Connection {
            credentials: json!({ "secretText": "k".repeat(30_000) }),
            ..conn(n, None)
        };
        for n in 0..5 {
            store.push_connection(big(n));
        }
        let ids: Vec<_> = store.connections.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c2", "c3", "c4"], "three fit in 100 kB");
        // Reconnecting into c2's slot with bigger credentials: the oldest other goes.
        store.upsert_connection(Connection {
            id: "ignored".into(),
            credentials: json!({ "secretText": "k".repeat(60_000) }),
            ..conn(2, None)
        });
        let ids: Vec<_> = store.connections.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c2", "c4"], "the update pushed the oldest other out");
        let fat = |n: i64| EndUser {
            metadata: json!({ "notes": "m".repeat(40_000) }),
            ..user(n)
        };
        for n in 0..4 {
            store.insert_end_user(fat(n), T0);
        }
        let mut users: Vec<_> = store.end_users.keys().cloned().collect();
        users.sort();
        assert_eq!(users, ["u2", "u3"], "two fit in 100 kB");
    }
}
