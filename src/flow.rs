//! The connect flow as a pure state machine: no browser, no clock, no I/O.
//!
//! The browser driver feeds [`Input`]s (with the current time in milliseconds) and carries
//! out the [`Effect`]s it gets back. Every rule about *when* a flow ends and *how* lives
//! here, so it is tested natively, including property tests over arbitrary input sequences.
//!
//! ```
//! use weavz_connect::flow::{Effect, Flow, FlowConfig, Input, Outcome, Target};
//! use weavz_connect::protocol::ResultMessage;
//!
//! let mut flow = Flow::new(FlowConfig::default());
//! flow.handle(0.0, Input::PopupOpened);
//! flow.handle(1.0, Input::Target(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap()));
//! let effects = flow.handle(
//!     2.0,
//!     Input::Message {
//!         origin: "https://platform.weavz.io".into(),
//!         from_popup: true,
//!         payload: Ok(ResultMessage::success("c1", "slack", "u1")),
//!     },
//! );
//! assert!(effects.iter().any(|e| matches!(e, Effect::Finish(Outcome::Connected(c)) if c.connection_id == "c1")));
//! assert!(flow.is_done());
//! ```

use crate::protocol::{PollResponse, Rejection, ResultMessage, ResultOutcome, SessionStatus};

/// Milliseconds on any monotonic-enough clock (the driver uses `Date.now()`).
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{FlowConfig, Millis};
///
/// let grace: Millis = 1_500.0;
/// let cfg = FlowConfig { close_grace_ms: grace, ..FlowConfig::default() };
/// assert_eq!(cfg.close_grace_ms, 1_500.0);
/// ```
pub type Millis = f64;

/// Tunables of one flow.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::FlowConfig;
///
/// // Confirm results through the host's session endpoint and give up after a minute.
/// let cfg = FlowConfig {
///     confirm_with_session: true,
///     timeout_ms: Some(60_000.0),
///     ..FlowConfig::default()
/// };
/// assert_eq!(cfg.close_grace_ms, 3_000.0);
/// assert_eq!(cfg.poll_interval_ms, 1_000.0);
/// assert!(!cfg.redirect);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FlowConfig {
    /// After the popup is seen closed, how long to wait for a late message or a
    /// `COMPLETED` poll before ending with `user_cancelled`.
    pub close_grace_ms: Millis,
    /// Whether a session endpoint is configured (results are then confirmed by polling).
    pub confirm_with_session: bool,
    /// Time between polls while confirming or in the grace period.
    pub poll_interval_ms: Millis,
    /// After a result message, how long to keep polling for a terminal session.
    pub confirm_window_ms: Millis,
    /// Ceiling of the poll retry backoff.
    pub max_backoff_ms: Millis,
    /// A total deadline from the first input: the flow ends with `timeout` after it.
    pub timeout_ms: Option<Millis>,
    /// Redirect mode: the page itself goes to the connect URL (no popup) and the flow is
    /// finished after the return by [`Input::Resumed`] in the next page. Needs a session
    /// endpoint.
    pub redirect: bool,
    /// How long one poll may take before it counts as failed (and is retried); the driver
    /// aborts the request ([`Effect::AbortPoll`]).
    pub poll_timeout_ms: Millis,
    /// The integration this flow is for, when known: a result message naming another one
    /// is refused.
    pub integration: Option<String>,
    /// The end user (external id) this flow is for, when it is for one: a success message
    /// must name exactly this end user, or it is refused. The flow never fills it in.
    pub end_user_id: Option<String>,
    /// Seed of the retry jitter (any value; the driver takes it from `crypto`).
    pub seed: u64,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            close_grace_ms: 3000.0,
            confirm_with_session: false,
            poll_interval_ms: 1000.0,
            confirm_window_ms: 15_000.0,
            max_backoff_ms: 8000.0,
            timeout_ms: None,
            redirect: false,
            poll_timeout_ms: 10_000.0,
            integration: None,
            end_user_id: None,
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

/// Where the popup goes: the hosted connect page and what is known about its token.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::Target;
///
/// let target = Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap();
/// assert_eq!(target.origin, "https://platform.weavz.io");
/// assert_eq!(target.token.as_deref(), Some("cst_1"));
/// assert_eq!(target.expires_at, None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The `connectUrl`.
    pub connect_url: String,
    /// Its normalised origin, `scheme://host[:port]`: the only origin results may come from.
    pub origin: String,
    /// The `cst_` token, needed to poll the session.
    pub token: Option<String>,
    /// When the token stops working (`expiresAt`), on the driver's clock.
    pub expires_at: Option<Millis>,
}

/// The prefix of end-user portal tokens (`/connect/portal?token=eut_…`).
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{PORTAL_TOKEN_PREFIX, Target};
///
/// let portal = Target::new("https://platform.weavz.io/connect/portal?token=eut_7").unwrap();
/// assert!(portal.token.as_deref().unwrap().starts_with(PORTAL_TOKEN_PREFIX));
/// assert!(!portal.has_session());
/// ```
pub const PORTAL_TOKEN_PREFIX: &str = "eut_";

impl Target {
    /// Whether the token names a connect session that a session endpoint can poll. An
    /// end-user portal token (`eut_…`) does not: the portal can make several connections
    /// and Weavz documents no poll for it, so its result message (exact origin, own popup,
    /// valid shape) is the outcome.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::Target;
    ///
    /// let session = Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap();
    /// let portal = Target::new("https://platform.weavz.io/connect/portal?token=eut_1").unwrap();
    /// let no_token = Target::new("https://platform.weavz.io/connect").unwrap();
    /// assert!(session.has_session());
    /// assert!(!portal.has_session());
    /// assert!(!no_token.has_session());
    /// ```
    pub fn has_session(&self) -> bool {
        self.token
            .as_deref()
            .is_some_and(|t| !t.starts_with(PORTAL_TOKEN_PREFIX))
    }

    /// A target from a connect URL; the token is read from its `token` query parameter.
    /// `None` unless the URL is absolute `http` or `https`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::Target;
    ///
    /// let target = Target::new("https://Platform.Weavz.io:443/connect?token=cst_1#top").unwrap();
    /// assert_eq!(target.origin, "https://platform.weavz.io");
    /// assert_eq!(target.token.as_deref(), Some("cst_1"));
    /// // The URL is kept as given.
    /// assert_eq!(target.connect_url, "https://Platform.Weavz.io:443/connect?token=cst_1#top");
    ///
    /// assert_eq!(Target::new("/connect?token=cst_1"), None);
    /// assert_eq!(Target::new("javascript:alert(1)"), None);
    /// ```
    pub fn new(connect_url: &str) -> Option<Target> {
        let origin = origin_of(connect_url)?;
        let token = query_param(connect_url, "token");
        Some(Target {
            connect_url: connect_url.to_owned(),
            origin,
            token,
            expires_at: None,
        })
    }
}

/// The normalised origin of an absolute http(s) URL: lowercase scheme and host, default
/// port dropped. `None` for anything else (relative URLs, `javascript:`, `data:`, …).
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::origin_of;
///
/// assert_eq!(origin_of("HTTPS://Example.COM:443/a?b=1").as_deref(), Some("https://example.com"));
/// assert_eq!(origin_of("http://127.0.0.1:8081/connect").as_deref(), Some("http://127.0.0.1:8081"));
/// assert_eq!(origin_of("http://[::1]:80/").as_deref(), Some("http://[::1]"));
/// assert_eq!(origin_of("/connect"), None);
/// assert_eq!(origin_of("data:text/html,hi"), None);
/// assert_eq!(origin_of("https://user@example.com/"), None);
/// ```
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains(['@', ' ', '\\', '\t', '\n']) {
        return None;
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (h, after) = inner.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{}]", h.to_ascii_lowercase()), port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    match port {
        None => Some(format!("{scheme}://{host}")),
        Some(p) => {
            let n: u32 = if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            } else {
                p.parse().ok()?
            };
            if n > 65535 {
                None
            } else if n.to_string() == default_port {
                Some(format!("{scheme}://{host}"))
            } else {
                Some(format!("{scheme}://{host}:{n}"))
            }
        }
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// The closed set of error codes a flow can end with.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::ErrorCode;
///
/// let code = ErrorCode::PopupBlocked;
/// assert_eq!(code.as_str(), "popup_blocked");
/// assert!(code.retryable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `window.open` returned nothing or a closed window.
    PopupBlocked,
    /// The user closed the popup without finishing.
    UserCancelled,
    /// The popup can no longer be observed (opener link severed).
    WindowLost,
    /// The hosted flow failed (denied, provider error, session `FAILED`).
    ConnectFailed,
    /// The connect token expired or is unknown to Weavz.
    SessionExpired,
    /// A deadline passed.
    Timeout,
    /// The host backend could not be reached or answered badly.
    Network,
    /// The options given to `open` are not usable.
    InvalidOptions,
    /// The host aborted the flow (`AbortSignal`, element removed).
    Aborted,
    /// The hosted page reported a connection, but the flow ended (the user cancelled, a
    /// deadline passed, the token stopped working) before the session confirmed it. The
    /// connection may exist: look it up before offering to connect again.
    Unconfirmed,
}

impl ErrorCode {
    /// The wire name, e.g. `popup_blocked`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::ErrorCode;
    ///
    /// assert_eq!(ErrorCode::UserCancelled.as_str(), "user_cancelled");
    /// assert_eq!(ErrorCode::SessionExpired.as_str(), "session_expired");
    /// assert_eq!(ErrorCode::InvalidOptions.as_str(), "invalid_options");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::PopupBlocked => "popup_blocked",
            ErrorCode::UserCancelled => "user_cancelled",
            ErrorCode::WindowLost => "window_lost",
            ErrorCode::ConnectFailed => "connect_failed",
            ErrorCode::SessionExpired => "session_expired",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Network => "network",
            ErrorCode::InvalidOptions => "invalid_options",
            ErrorCode::Aborted => "aborted",
            ErrorCode::Unconfirmed => "unconfirmed",
        }
    }

    /// Whether trying again (a new flow) may succeed.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::ErrorCode;
    ///
    /// assert!(ErrorCode::Network.retryable());
    /// assert!(ErrorCode::UserCancelled.retryable());
    /// // Retrying the same options, or after the host aborted, cannot help.
    /// assert!(!ErrorCode::InvalidOptions.retryable());
    /// assert!(!ErrorCode::Aborted.retryable());
    /// ```
    pub fn retryable(self) -> bool {
        !matches!(self, ErrorCode::InvalidOptions | ErrorCode::Aborted)
    }
}

/// How a flow failed: code, message for people, and whether a retry may help.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{ErrorCode, FlowError};
///
/// // A network error that retrying would not fix (the endpoint is misconfigured).
/// let err = FlowError {
///     code: ErrorCode::Network,
///     message: "The session endpoint answered unexpectedly: 404".into(),
///     retryable: false,
/// };
/// assert_ne!(err.retryable, err.code.retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowError {
    /// Machine code.
    pub code: ErrorCode,
    /// For people; never empty.
    pub message: String,
    /// Whether a new attempt may succeed.
    pub retryable: bool,
}

/// `code: message`, e.g. `timeout: Connecting took too long. Try again.`
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{ErrorCode, FlowError};
///
/// fn start() -> Result<(), Box<dyn std::error::Error>> {
///     Err(FlowError::new(ErrorCode::Timeout, "Connecting took too long."))?
/// }
/// assert_eq!(start().unwrap_err().to_string(), "timeout: Connecting took too long.");
/// ```
impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for FlowError {}

impl FlowError {
    /// An error with the code's default retryability.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::{ErrorCode, FlowError};
    ///
    /// let err = FlowError::new(ErrorCode::Timeout, "Connecting took too long.");
    /// assert_eq!(err.code, ErrorCode::Timeout);
    /// assert_eq!(err.message, "Connecting took too long.");
    /// assert!(err.retryable);
    /// assert!(!FlowError::new(ErrorCode::Aborted, "aborted").retryable);
    /// ```
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        FlowError {
            code,
            message: message.into(),
            retryable: code.retryable(),
        }
    }
}

/// A created connection, as the flow learned it.
///
/// # Examples
///
/// Without a session endpoint, the result message is the outcome:
///
/// ```
/// use weavz_connect::flow::{Effect, Flow, FlowConfig, Input, Outcome, Target};
/// use weavz_connect::protocol::ResultMessage;
///
/// let mut flow = Flow::new(FlowConfig::default());
/// flow.handle(0.0, Input::Target(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap()));
/// let effects = flow.handle(1.0, Input::Message {
///     origin: "https://platform.weavz.io".into(),
///     from_popup: true,
///     payload: Ok(ResultMessage::success("conn_1", "slack", "user-42")),
/// });
/// let Some(Effect::Finish(Outcome::Connected(connection))) = effects.last() else {
///     panic!("not connected: {effects:?}");
/// };
/// assert_eq!(connection.connection_id, "conn_1");
/// assert_eq!(connection.integration_name, "slack");
/// assert_eq!(connection.external_id, "user-42");
/// assert_eq!(connection.end_user_id, None);
/// assert_eq!(connection.session, None);
/// assert!(!connection.confirmed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The connection's id.
    pub connection_id: String,
    /// The integration, e.g. `slack`.
    pub integration_name: String,
    /// The `externalId` the token was created with.
    pub external_id: String,
    /// The end user's external id, when known.
    pub end_user_id: Option<String>,
    /// The confirmed session, when a session endpoint confirmed it.
    pub session: Option<PollResponse>,
    /// Whether the session said `COMPLETED` (true), or only the hosted page's message said
    /// so (false: no session endpoint, or an end-user portal flow). A host that needs
    /// certainty looks an unconfirmed connection up through its backend.
    pub confirmed: bool,
}

/// How a flow ended.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{Effect, ErrorCode, Flow, FlowConfig, Input, Outcome};
///
/// let mut flow = Flow::new(FlowConfig::default());
/// let effects = flow.handle(0.0, Input::PopupBlocked);
/// match &effects[..] {
///     [Effect::Finish(Outcome::Failed(err))] => assert_eq!(err.code, ErrorCode::PopupBlocked),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
// One per flow, moved a handful of times: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A connection exists.
    Connected(Connection),
    /// Anything else.
    Failed(FlowError),
}

/// What a poll of the session endpoint produced.
///
/// # Examples
///
/// With a session endpoint, a result message is confirmed by a poll; the driver feeds its
/// answer back:
///
/// ```
/// use weavz_connect::flow::{Effect, ErrorCode, Flow, FlowConfig, Input, Outcome, PollResult, Target};
/// use weavz_connect::protocol::ResultMessage;
///
/// let mut flow = Flow::new(FlowConfig { confirm_with_session: true, ..FlowConfig::default() });
/// flow.handle(0.0, Input::Target(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap()));
/// let effects = flow.handle(1.0, Input::Message {
///     origin: "https://platform.weavz.io".into(),
///     from_popup: true,
///     payload: Ok(ResultMessage::success("conn_1", "slack", "user-42")),
/// });
/// assert!(effects.contains(&Effect::Poll("cst_1".into())));
///
/// // The token stopped working before the session confirmed the page's success: the
/// // connection may exist.
/// let effects = flow.handle(2.0, Input::Poll(PollResult::InvalidToken));
/// assert!(matches!(
///     effects.last(),
///     Some(Effect::Finish(Outcome::Failed(e))) if e.code == ErrorCode::Unconfirmed
/// ));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum PollResult {
    /// 200 with a valid body.
    Status(PollResponse),
    /// 401 (`INVALID_TOKEN`): the token is unknown or expired.
    InvalidToken,
    /// A failure worth retrying: network error, 408, 429, 5xx. `retry_after_ms` from
    /// `Retry-After` when the server sent one.
    Retry {
        /// Why, for the debug stream.
        reason: String,
        /// The server's `Retry-After`, in milliseconds.
        retry_after_ms: Option<Millis>,
    },
    /// Any other answer: the endpoint is misconfigured or lies.
    Fatal(String),
}

/// Inputs the driver feeds to the flow.
///
/// # Examples
///
/// A popup closed before the connect page loaded ends the flow as cancelled:
///
/// ```
/// use weavz_connect::flow::{Effect, ErrorCode, Flow, FlowConfig, Input, Outcome, Progress};
///
/// let mut flow = Flow::new(FlowConfig::default());
/// flow.handle(0.0, Input::PopupOpened);
/// let effects = flow.handle(5.0, Input::PopupClosed);
/// assert_eq!(effects[0], Effect::Progress(Progress::PopupClosed));
/// assert!(matches!(
///     &effects[1],
///     Effect::Finish(Outcome::Failed(e)) if e.code == ErrorCode::UserCancelled
/// ));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// `window.open` gave a live window.
    PopupOpened,
    /// `window.open` gave nothing (or a closed window).
    PopupBlocked,
    /// The connect URL is known (given, or fetched from the host backend).
    Target(Target),
    /// The connect URL could not be obtained.
    TargetFailed(FlowError),
    /// A `message` event arrived on the opener's window.
    Message {
        /// `event.origin`.
        origin: String,
        /// `event.source` is this flow's popup.
        from_popup: bool,
        /// The validated data, or why it is not a result message.
        payload: Result<ResultMessage, Rejection>,
    },
    /// The popup was observed closed.
    PopupClosed,
    /// A poll finished.
    Poll(PollResult),
    /// Time passed (the driver ticks a few times a second).
    Tick,
    /// The browser went offline (`offline` event): polls wait.
    Offline,
    /// The browser is back online (`online` event): poll again now.
    Online,
    /// The user cancelled the flow (the widget's Cancel button).
    Cancel,
    /// The user opened the connect page again in a new window (after a close or loss).
    PopupReopened,
    /// This page had the focus while (or after) its popup read closed. A window the user
    /// closes gives the focus back to its opener; a window cut off by COOP keeps it. Tells
    /// `user_cancelled` from `window_lost` when there is no session to ask.
    OpenerFocused,
    /// The host cancelled the flow.
    Abort,
    /// The page came back from a redirect-mode flow started by an earlier page (or was
    /// reloaded, or reached through Back, while one was pending): confirm it through the
    /// session. Only valid as the first input of a flow.
    Resumed {
        /// The saved connect URL and token.
        target: Target,
        /// What the return URL's parameters claim, if the page came back with them. Only
        /// a hint: the session decides.
        hint: Option<ResultOutcome>,
    },
    /// Redirect mode: the page that left was restored from the back/forward cache (Back),
    /// or the navigation did not happen.
    PageRestored {
        /// Whether the saved flow looks pending; if not, a page loaded in between finished
        /// it and reported its outcome. Only a "no" is certain: Firefox restores a page with
        /// the `sessionStorage` it had when it left, so a finished flow may look pending.
        pending: bool,
    },
}

/// Named steps of the progress stream (`weavz:connect-event`).
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{Effect, Flow, FlowConfig, Input, Progress};
///
/// let mut flow = Flow::new(FlowConfig::default());
/// assert_eq!(flow.handle(0.0, Input::PopupOpened), [Effect::Progress(Progress::PopupOpened)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The popup opened.
    PopupOpened,
    /// The popup was sent to the hosted page.
    ConnectPageOpened,
    /// An authentic result message arrived.
    ResultReceived,
    /// The session is being confirmed with the host backend.
    Confirming,
    /// The hosted page reported a success that the session has not confirmed yet (sent
    /// after [`Progress::Confirming`]): "Connected — confirming…".
    SuccessUnconfirmed,
    /// The popup was seen closed.
    PopupClosed,
    /// The popup reads closed and no result came within the grace period; with a session
    /// endpoint the flow goes on (the window may only have lost its link to this page).
    WindowDetached,
    /// Redirect mode: the page is about to go to the connect page.
    Redirecting,
    /// A redirect-mode flow was picked up again after the page loaded (or came back from
    /// the back/forward cache): its session is being asked.
    Resumed,
    /// A redirect-mode flow's session is still open while no connect page of ours shows it
    /// (Back, a reload, a navigation that did not happen): the user can continue or cancel.
    Interrupted,
    /// A page restored with Back found its redirect-mode flow already finished while it was
    /// away (by the page the tab went to, which reported the outcome): this copy stops
    /// without one.
    HandledElsewhere,
}

impl Progress {
    /// Wire name.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::Progress;
    ///
    /// assert_eq!(Progress::ConnectPageOpened.as_str(), "connect_page_opened");
    /// assert_eq!(Progress::WindowDetached.as_str(), "window_closed_or_lost");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Progress::PopupOpened => "popup_opened",
            Progress::ConnectPageOpened => "connect_page_opened",
            Progress::ResultReceived => "result_received",
            Progress::Confirming => "confirming",
            Progress::SuccessUnconfirmed => "success_unconfirmed",
            Progress::PopupClosed => "popup_closed",
            Progress::WindowDetached => "window_closed_or_lost",
            Progress::Redirecting => "redirecting",
            Progress::Resumed => "resumed",
            Progress::Interrupted => "interrupted",
            Progress::HandledElsewhere => "handled_elsewhere",
        }
    }
}

/// Things the flow noticed and ignored, for the debug stream.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{Effect, Flow, FlowConfig, Input, Note, Target};
/// use weavz_connect::protocol::ResultMessage;
///
/// let mut flow = Flow::new(FlowConfig::default());
/// flow.handle(0.0, Input::Target(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap()));
/// let effects = flow.handle(1.0, Input::Message {
///     origin: "https://evil.example".into(),
///     from_popup: true,
///     payload: Ok(ResultMessage::success("conn_1", "slack", "user-42")),
/// });
/// assert_eq!(effects, [Effect::Debug(Note::RejectedOrigin("https://evil.example".into()))]);
/// assert!(!flow.is_done());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A message from an origin other than the connect page's.
    RejectedOrigin(String),
    /// A message from the right origin but another window.
    RejectedSource,
    /// A message whose data is not a valid result.
    RejectedShape(Rejection),
    /// A result for another flow: its `integrationName` or `endUserId` (the field named)
    /// is not this flow's.
    RejectedMismatch(&'static str),
    /// This many more messages were rejected since the last rejection note (at most one
    /// rejection note per flow per second goes out).
    RejectedMore(u32),
    /// A message before the connect URL was known.
    RejectedEarly,
    /// A result message after one was already received.
    Duplicate,
    /// A result message the session did not confirm in time.
    NotConfirmed,
    /// A poll failed and will be retried.
    PollRetry(String),
    /// An input after the flow ended.
    AfterEnd,
}

impl Note {
    /// Wire name.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::Note;
    ///
    /// assert_eq!(Note::RejectedSource.as_str(), "rejected_source");
    /// assert_eq!(Note::PollRetry("HTTP 503".into()).as_str(), "poll_retry");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Note::RejectedOrigin(_) => "rejected_origin",
            Note::RejectedSource => "rejected_source",
            Note::RejectedShape(_) => "rejected_shape",
            Note::RejectedMismatch(_) => "rejected_mismatch",
            Note::RejectedMore(_) => "rejected_more",
            Note::RejectedEarly => "rejected_early",
            Note::Duplicate => "duplicate_result",
            Note::NotConfirmed => "result_not_confirmed",
            Note::PollRetry(_) => "poll_retry",
            Note::AfterEnd => "after_end",
        }
    }
}

/// What the driver must do.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{Effect, Flow, FlowConfig, Input, Progress, Target};
///
/// let url = "https://platform.weavz.io/connect?token=cst_1";
/// let mut flow = Flow::new(FlowConfig::default());
/// flow.handle(0.0, Input::PopupOpened);
/// let effects = flow.handle(1.0, Input::Target(Target::new(url).unwrap()));
/// assert_eq!(effects, [Effect::Navigate(url.into()), Effect::Progress(Progress::ConnectPageOpened)]);
/// ```
#[allow(clippy::large_enum_variant)] // Finish carries the outcome, once per flow
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send the popup to this URL.
    Navigate(String),
    /// Redirect mode: save the pending flow (its id, the target's token and expiry) where
    /// the next page finds it, then send the page itself to `connect_url`.
    Redirect(Target),
    /// Close the popup if it is still open.
    ClosePopup,
    /// POST `{token}` to the session endpoint and feed back [`Input::Poll`].
    Poll(String),
    /// The poll in flight took longer than [`FlowConfig::poll_timeout_ms`]: abort it and
    /// never feed its answer back (the flow already counted it as failed).
    AbortPoll,
    /// Report a step.
    Progress(Progress),
    /// Report something ignored.
    Debug(Note),
    /// The flow is over; emitted exactly once.
    Finish(Outcome),
    /// The flow stops without an outcome of its own: another page of this tab reported it
    /// ([`Progress::HandledElsewhere`]). Unregister everything.
    Release,
}

/// What a flow tells its owner.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::Report;
/// use weavz_connect::flow::{Outcome, Progress};
///
/// fn describe(report: &Report<'_>) -> String {
///     match report {
///         Report::Progress(p) => p.as_str().to_owned(),
///         Report::Debug(note) => format!("ignored: {}", note.as_str()),
///         Report::Finished(Outcome::Connected(c)) => format!("connected {}", c.connection_id),
///         Report::Finished(Outcome::Failed(e)) => format!("failed: {}", e.code.as_str()),
///     }
/// }
/// assert_eq!(describe(&Report::Progress(Progress::Confirming)), "confirming");
/// ```
pub enum Report<'a> {
    /// A step of the progress stream.
    Progress(Progress),
    /// Something ignored, for the debug stream.
    Debug(&'a Note),
    /// The end; exactly once.
    Finished(&'a Outcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The popup is open on `about:blank`, the connect URL is on its way.
    Preparing,
    /// The popup shows (or has shown) the hosted page.
    Waiting,
    Done,
}

/// One connect flow. Feed it with [`Flow::handle`].
///
/// # Examples
///
/// A driver feeds inputs and carries out the effects; once a flow is done it ignores what
/// follows:
///
/// ```
/// use weavz_connect::flow::{Effect, ErrorCode, Flow, FlowConfig, Input, Note, Outcome, PollResult};
///
/// let mut flow = Flow::new(FlowConfig::default());
/// flow.handle(0.0, Input::PopupOpened);
/// for effect in flow.handle(1.0, Input::Cancel) {
///     match effect {
///         Effect::ClosePopup => { /* popup.close() */ }
///         Effect::Finish(Outcome::Failed(e)) => assert_eq!(e.code, ErrorCode::UserCancelled),
///         other => panic!("unexpected {other:?}"),
///     }
/// }
/// assert!(flow.is_done());
/// assert_eq!(flow.handle(2.0, Input::Poll(PollResult::InvalidToken)), [Effect::Debug(Note::AfterEnd)]);
/// assert!(flow.handle(3.0, Input::Tick).is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Flow {
    cfg: FlowConfig,
    phase: Phase,
    target: Option<Target>,
    popup_open: bool,
    /// When the popup was seen closed.
    closed_at: Option<Millis>,
    /// Until when a result message is being confirmed.
    confirm_until: Option<Millis>,
    /// The message asked us to confirm; what it claimed.
    claimed: Option<ResultOutcome>,
    poll_in_flight: bool,
    /// When the poll in flight was sent.
    poll_sent_at: Option<Millis>,
    next_poll_at: Option<Millis>,
    poll_failures: u32,
    last_poll_error: Option<String>,
    /// The grace period passed with the window closed-looking (session endpoint only).
    detached: bool,
    /// The browser said it is offline.
    offline: bool,
    /// No window of ours shows the connect page (redirect mode, resumed flows): popup
    /// inputs do not apply.
    windowless: bool,
    /// This page had the focus after the popup read closed.
    focus_after_close: bool,
    /// [`Progress::Interrupted`] went out (once per flow).
    told_interrupted: bool,
    /// The page that left is here again ([`Input::PageRestored`]) and the session has not
    /// answered since: an end it reports happened while the page was away.
    came_back: bool,
    /// Polls answered non-terminal while detached (for the backoff).
    detached_polls: u32,
    /// The latest time seen.
    now: Millis,
    /// The first time seen: the total deadline counts from here.
    started: Option<Millis>,
    /// State of the retry jitter's generator (xorshift64*).
    rng: u64,
    /// When the last rejection note went out, and how many were held back since.
    rejection_noted_at: Option<Millis>,
    rejections_held: u32,
}

impl Flow {
    /// A flow that has not opened its popup yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::{Flow, FlowConfig};
    ///
    /// let flow = Flow::new(FlowConfig::default());
    /// assert!(!flow.is_done());
    /// assert_eq!(flow.connect_url(), None);
    ///
    /// let redirect = Flow::new(FlowConfig { redirect: true, confirm_with_session: true, ..FlowConfig::default() });
    /// assert!(redirect.is_windowless());
    /// ```
    pub fn new(cfg: FlowConfig) -> Self {
        let windowless = cfg.redirect;
        let rng = cfg.seed | 1;
        Flow {
            cfg,
            phase: Phase::Preparing,
            target: None,
            popup_open: false,
            closed_at: None,
            confirm_until: None,
            claimed: None,
            poll_in_flight: false,
            poll_sent_at: None,
            next_poll_at: None,
            poll_failures: 0,
            last_poll_error: None,
            detached: false,
            detached_polls: 0,
            focus_after_close: false,
            told_interrupted: false,
            came_back: false,
            offline: false,
            windowless,
            now: 0.0,
            started: None,
            rng,
            rejection_noted_at: None,
            rejections_held: 0,
        }
    }

    /// Whether the flow has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::{Flow, FlowConfig, Input};
    ///
    /// let mut flow = Flow::new(FlowConfig::default());
    /// assert!(!flow.is_done());
    /// flow.handle(0.0, Input::Abort);
    /// assert!(flow.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The connect URL, once known.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::{Flow, FlowConfig, Input, Target};
    ///
    /// let url = "https://platform.weavz.io/connect?token=cst_1";
    /// let mut flow = Flow::new(FlowConfig::default());
    /// assert_eq!(flow.connect_url(), None);
    /// flow.handle(0.0, Input::Target(Target::new(url).unwrap()));
    /// assert_eq!(flow.connect_url(), Some(url));
    /// ```
    pub fn connect_url(&self) -> Option<&str> {
        self.target.as_ref().map(|t| t.connect_url.as_str())
    }

    /// Whether no window of ours shows the connect page (redirect mode, resumed flows).
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::{Flow, FlowConfig, Input, Target};
    ///
    /// let mut flow = Flow::new(FlowConfig { confirm_with_session: true, ..FlowConfig::default() });
    /// assert!(!flow.is_windowless());
    /// // The page came back from a redirect-mode flow: no window of ours shows it.
    /// let target = Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap();
    /// flow.handle(0.0, Input::Resumed { target, hint: None });
    /// assert!(flow.is_windowless());
    /// ```
    pub fn is_windowless(&self) -> bool {
        self.windowless
    }

    /// The origin results must come from, once known.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::{Flow, FlowConfig, Input, Target};
    ///
    /// let mut flow = Flow::new(FlowConfig::default());
    /// assert_eq!(flow.expected_origin(), None);
    /// flow.handle(0.0, Input::Target(Target::new("http://127.0.0.1:8081/connect?token=cst_1").unwrap()));
    /// assert_eq!(flow.expected_origin(), Some("http://127.0.0.1:8081"));
    /// ```
    pub fn expected_origin(&self) -> Option<&str> {
        self.target.as_ref().map(|t| t.origin.as_str())
    }

    /// Feeds one input at time `now`; returns what to do, in order.
    ///
    /// # Examples
    ///
    /// The driver ticks; a deadline counts from the first input:
    ///
    /// ```
    /// use weavz_connect::flow::{Effect, ErrorCode, Flow, FlowConfig, Input, Outcome};
    ///
    /// let mut flow = Flow::new(FlowConfig { timeout_ms: Some(1_000.0), ..FlowConfig::default() });
    /// flow.handle(0.0, Input::PopupOpened);
    /// assert!(flow.handle(999.0, Input::Tick).is_empty());
    /// let effects = flow.handle(1_000.0, Input::Tick);
    /// assert_eq!(effects[0], Effect::ClosePopup);
    /// assert!(matches!(&effects[1], Effect::Finish(Outcome::Failed(e)) if e.code == ErrorCode::Timeout));
    /// ```
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Effect> {
        // Time never runs backwards for the flow.
        if now > self.now {
            self.now = now;
        }
        let now = self.now;
        let started = *self.started.get_or_insert(now);
        let mut out = Vec::new();
        if self.phase == Phase::Done {
            if matches!(input, Input::Message { .. } | Input::Poll(_)) {
                out.push(Effect::Debug(Note::AfterEnd));
            }
            return out;
        }
        if self.windowless
            && matches!(
                input,
                Input::PopupOpened | Input::PopupBlocked | Input::PopupClosed | Input::PopupReopened
            )
        {
            // No window of ours: these cannot be about this flow.
            return out;
        }
        match input {
            Input::PopupOpened => {
                self.popup_open = true;
                out.push(Effect::Progress(Progress::PopupOpened));
            }
            Input::PopupBlocked => self.finish(
                &mut out,
                Outcome::Failed(FlowError::new(
                    ErrorCode::PopupBlocked,
                    "The browser blocked the connect window. Allow pop-ups for this site and try again.",
                )),
            ),
            Input::Target(target) => {
                if self.target.is_some() {
                    return out;
                }
                if self.cfg.confirm_with_session && target.token.is_none() {
                    // Without the token the session cannot be asked; trusting the message
                    // instead would silently drop the confirmation the host asked for.
                    self.finish(
                        &mut out,
                        Outcome::Failed(FlowError::new(
                            ErrorCode::InvalidOptions,
                            "sessionEndpoint needs the connect token: give `token`, a connectUrl with \
                             ?token=, or a token endpoint that answers with one.",
                        )),
                    );
                    return out;
                }
                if self.cfg.redirect {
                    if !self.cfg.confirm_with_session || !target.has_session() {
                        self.finish(&mut out, Outcome::Failed(redirect_needs_session()));
                        return out;
                    }
                    // The page leaves. No poll until it comes back from the back/forward
                    // cache or the navigation turns out not to happen (`PageRestored`): an
                    // answer read while leaving could end the flow for nothing.
                    self.detached = true;
                    self.next_poll_at = None;
                    out.push(Effect::Progress(Progress::Redirecting));
                    out.push(Effect::Redirect(target.clone()));
                } else {
                    out.push(Effect::Navigate(target.connect_url.clone()));
                    out.push(Effect::Progress(Progress::ConnectPageOpened));
                }
                self.target = Some(target);
                self.phase = Phase::Waiting;
            }
            Input::Resumed { target, hint } => {
                if self.phase != Phase::Preparing || self.target.is_some() {
                    return out;
                }
                self.windowless = true;
                if !self.cfg.confirm_with_session || !target.has_session() {
                    self.finish(&mut out, Outcome::Failed(redirect_needs_session()));
                    return out;
                }
                self.target = Some(target);
                self.phase = Phase::Waiting;
                self.detached = true;
                self.next_poll_at = Some(now);
                out.push(Effect::Progress(Progress::Resumed));
                if let Some(hint) = hint {
                    self.claimed = Some(hint);
                    self.confirm_until = Some(now + self.cfg.confirm_window_ms);
                    out.push(Effect::Progress(Progress::Confirming));
                }
                self.maybe_poll(now, &mut out);
            }
            Input::TargetFailed(err) => self.finish(&mut out, Outcome::Failed(err)),
            Input::Message {
                origin,
                from_popup,
                payload,
            } => self.on_message(now, &mut out, origin, from_popup, payload),
            Input::PopupClosed => {
                if self.closed_at.is_some() {
                    return out;
                }
                self.focus_after_close = false;
                self.popup_open = false;
                self.closed_at = Some(now);
                out.push(Effect::Progress(Progress::PopupClosed));
                if self.phase == Phase::Preparing {
                    // Closed before the hosted page ever loaded: nothing can arrive.
                    self.finish(&mut out, cancelled());
                } else if self.can_poll() {
                    self.next_poll_at = Some(now);
                    self.maybe_poll(now, &mut out);
                }
            }
            Input::Poll(result) => self.on_poll(now, &mut out, result),
            Input::Tick => self.on_tick(now, started, &mut out),
            Input::Offline => self.offline = true,
            Input::Online => {
                self.offline = false;
                // Whatever was scheduled, ask now: the network is back.
                if self.next_poll_at.is_some() {
                    self.next_poll_at = Some(now);
                }
                self.maybe_poll(now, &mut out);
            }
            Input::Cancel => {
                let outcome = self.unless_claimed(cancelled(), "You stopped waiting");
                self.finish(&mut out, outcome);
            }
            Input::OpenerFocused => {
                if self.closed_at.is_some() {
                    self.focus_after_close = true;
                }
            }
            Input::PopupReopened => {
                if self.target.is_some() {
                    self.popup_open = true;
                    self.closed_at = None;
                    self.focus_after_close = false;
                    self.detached = false;
                    self.detached_polls = 0;
                    out.push(Effect::Progress(Progress::PopupOpened));
                }
            }
            Input::PageRestored { pending } => {
                if !self.windowless || self.target.is_none() {
                    return out;
                }
                if pending {
                    self.came_back = true;
                    out.push(Effect::Progress(Progress::Resumed));
                    self.next_poll_at = Some(now);
                    self.maybe_poll(now, &mut out);
                } else {
                    self.handled_elsewhere(&mut out);
                }
            }
            Input::Abort => {
                self.finish(
                    &mut out,
                    Outcome::Failed(FlowError::new(
                        ErrorCode::Aborted,
                        "The connect flow was aborted.",
                    )),
                );
            }
        }
        out
    }

    fn handled_elsewhere(&mut self, out: &mut Vec<Effect>) {
        self.phase = Phase::Done;
        out.push(Effect::Progress(Progress::HandledElsewhere));
        out.push(Effect::Release);
    }

    fn can_poll(&self) -> bool {
        self.cfg.confirm_with_session && self.target.as_ref().is_some_and(Target::has_session)
    }

    fn finish(&mut self, out: &mut Vec<Effect>, outcome: Outcome) {
        if self.phase == Phase::Done {
            return;
        }
        self.phase = Phase::Done;
        self.flush_rejections(out);
        if self.popup_open {
            out.push(Effect::ClosePopup);
        }
        out.push(Effect::Finish(outcome));
    }

    /// Whether [`Flow::handle`] would read the data of a message from `origin` (`from_popup`:
    /// sent by this flow's window). The driver asks first and leaves the data of every other
    /// message untouched: a flood of foreign messages costs no parsing.
    ///
    /// # Examples
    ///
    /// ```
    /// use weavz_connect::flow::{Flow, FlowConfig, Input, Target};
    ///
    /// let mut flow = Flow::new(FlowConfig::default());
    /// assert!(!flow.reads_message("https://platform.weavz.io", true), "no connect URL yet");
    /// flow.handle(0.0, Input::Target(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap()));
    /// assert!(flow.reads_message("https://platform.weavz.io", true));
    /// assert!(!flow.reads_message("https://evil.example", true));
    /// assert!(!flow.reads_message("https://platform.weavz.io", false));
    /// ```
    pub fn reads_message(&self, origin: &str, from_popup: bool) -> bool {
        !self.is_done() && from_popup && self.expected_origin() == Some(origin)
    }

    fn on_message(
        &mut self,
        now: Millis,
        out: &mut Vec<Effect>,
        origin: String,
        from_popup: bool,
        payload: Result<ResultMessage, Rejection>,
    ) {
        // Sender first: the payload of a message from anywhere else is never looked at.
        let Some(expected) = self.expected_origin() else {
            self.reject(now, out, Note::RejectedEarly);
            return;
        };
        if origin != expected {
            self.reject(now, out, Note::RejectedOrigin(origin));
            return;
        }
        if !from_popup {
            self.reject(now, out, Note::RejectedSource);
            return;
        }
        let message = match payload {
            Ok(m) => m,
            Err(rejection) => {
                self.reject(now, out, Note::RejectedShape(rejection));
                return;
            }
        };
        if let ResultOutcome::Success {
            integration_name,
            end_user_id,
            ..
        } = &message.outcome
        {
            // A result for another flow: a page in the popup's chain (a hostile provider)
            // can make the connect page finish someone else's session in this window.
            if let (Some(ours), Some(theirs)) = (&self.cfg.integration, integration_name)
                && ours != theirs
            {
                self.reject(now, out, Note::RejectedMismatch("integrationName"));
                return;
            }
            if let Some(ours) = &self.cfg.end_user_id
                && end_user_id.as_ref() != Some(ours)
            {
                self.reject(now, out, Note::RejectedMismatch("endUserId"));
                return;
            }
        }
        if self.claimed.is_some() {
            self.reject(now, out, Note::Duplicate);
            return;
        }
        out.push(Effect::Progress(Progress::ResultReceived));
        if self.can_poll() {
            // A message only tells us to check; the session is the truth.
            let success = matches!(message.outcome, ResultOutcome::Success { .. });
            self.claimed = Some(message.outcome);
            self.confirm_until = Some(now + self.cfg.confirm_window_ms);
            self.next_poll_at = Some(now);
            out.push(Effect::Progress(Progress::Confirming));
            if success {
                out.push(Effect::Progress(Progress::SuccessUnconfirmed));
            }
            self.maybe_poll(now, out);
            return;
        }
        let outcome = match message.outcome {
            ResultOutcome::Success {
                connection_id,
                integration_name,
                external_id,
                end_user_id,
            } => Outcome::Connected(Connection {
                connection_id,
                integration_name: integration_name
                    .or_else(|| self.cfg.integration.clone())
                    .unwrap_or_default(),
                external_id: external_id.unwrap_or_default(),
                end_user_id,
                session: None,
                confirmed: false,
            }),
            ResultOutcome::Error { error } => {
                Outcome::Failed(FlowError::new(ErrorCode::ConnectFailed, error))
            }
        };
        self.finish(out, outcome);
    }

    /// A debug note about a rejected message: at most one per [`REJECTION_NOTE_MS`]; the
    /// rest are counted and reported as [`Note::RejectedMore`].
    fn reject(&mut self, now: Millis, out: &mut Vec<Effect>, note: Note) {
        match self.rejection_noted_at {
            Some(at) if now < at + REJECTION_NOTE_MS => {
                self.rejections_held = self.rejections_held.saturating_add(1);
            }
            _ => {
                self.flush_rejections(out);
                self.rejection_noted_at = Some(now);
                out.push(Effect::Debug(note));
            }
        }
    }

    fn flush_rejections(&mut self, out: &mut Vec<Effect>) {
        let held = std::mem::take(&mut self.rejections_held);
        if held > 0 {
            out.push(Effect::Debug(Note::RejectedMore(held)));
        }
    }

    /// A success message is waiting for the session's word.
    fn success_claimed(&self) -> bool {
        self.can_poll() && matches!(self.claimed, Some(ResultOutcome::Success { .. }))
    }

    /// `otherwise`, unless the hosted page reported a success the session has not confirmed:
    /// then the flow must not say "cancelled" or "expired" — the connection may exist.
    fn unless_claimed(&self, otherwise: Outcome, why: &str) -> Outcome {
        if !self.success_claimed() {
            return otherwise;
        }
        Outcome::Failed(FlowError::new(
            ErrorCode::Unconfirmed,
            format!(
                "{why} before the connection was confirmed. The connect page reported success, so it \
                 may exist: check your connections before connecting again."
            ),
        ))
    }

    /// Whether polls are wanted now: confirming a message, or in the grace period.
    fn polling_wanted(&self, now: Millis) -> bool {
        self.can_poll()
            && (self.confirm_until.is_some_and(|t| now < t) || self.closed_at.is_some() || self.detached)
    }

    fn maybe_poll(&mut self, now: Millis, out: &mut Vec<Effect>) {
        if self.poll_in_flight || self.offline || !self.polling_wanted(now) {
            return;
        }
        if self.next_poll_at.is_none_or(|t| now < t) {
            return;
        }
        if let Some(token) = self.target.as_ref().and_then(|t| t.token.clone()) {
            self.poll_in_flight = true;
            self.poll_sent_at = Some(now);
            self.next_poll_at = None;
            out.push(Effect::Poll(token));
        }
    }

    fn on_poll(&mut self, now: Millis, out: &mut Vec<Effect>, result: PollResult) {
        if !self.poll_in_flight {
            // Only answers to polls this flow asked for count.
            return;
        }
        self.poll_in_flight = false;
        self.poll_sent_at = None;
        match result {
            PollResult::Status(resp) => {
                self.poll_failures = 0;
                self.last_poll_error = None;
                if std::mem::take(&mut self.came_back)
                    && matches!(resp.status, SessionStatus::Completed | SessionStatus::Failed)
                {
                    // The session ended while this page was away, so it ended at the connect
                    // page, which sent the tab on to the return page: that page reported it.
                    // (Whether the saved record says so cannot be trusted in Firefox.)
                    self.handled_elsewhere(out);
                    return;
                }
                match resp.status {
                    SessionStatus::Completed => match resp.connection_id.clone() {
                        Some(connection_id) if !connection_id.is_empty() => {
                            let end_user_id = match &self.claimed {
                                Some(ResultOutcome::Success { end_user_id, .. }) => end_user_id.clone(),
                                _ => None,
                            };
                            let connection = Connection {
                                connection_id,
                                integration_name: resp.integration_name.clone().unwrap_or_default(),
                                external_id: resp.external_id.clone().unwrap_or_default(),
                                end_user_id,
                                session: Some(resp),
                                confirmed: true,
                            };
                            self.finish(out, Outcome::Connected(connection));
                        }
                        _ => self.schedule_retry(now, out, "COMPLETED without a connectionId".into(), None),
                    },
                    SessionStatus::Failed => {
                        let message = resp
                            .error
                            .filter(|e| !e.trim().is_empty())
                            .unwrap_or_else(|| "The connection failed.".to_owned());
                        self.finish(
                            out,
                            Outcome::Failed(FlowError::new(ErrorCode::ConnectFailed, message)),
                        );
                    }
                    SessionStatus::Pending | SessionStatus::Connecting => {
                        // No window of ours shows the connect page, so an open session means
                        // the user has not finished, whatever a return URL claimed: say so
                        // (Continue, Cancel), and keep asking.
                        if self.windowless {
                            // The session contradicts whatever the return URL claimed: the
                            // claim is gone (a Cancel now is the user's, not "unconfirmed").
                            self.claimed = None;
                            self.confirm_until = None;
                            if !self.told_interrupted {
                                self.told_interrupted = true;
                                out.push(Effect::Progress(Progress::Interrupted));
                            }
                        }
                        let interval = if self.detached {
                            // The user may take minutes in a window we cannot see: back off.
                            self.detached_polls = self.detached_polls.saturating_add(1);
                            let factor = f64::from(1u32 << self.detached_polls.min(3));
                            (self.cfg.poll_interval_ms * factor).min(self.cfg.max_backoff_ms)
                        } else {
                            self.cfg.poll_interval_ms
                        };
                        self.next_poll_at = Some(now + interval);
                    }
                }
            }
            PollResult::InvalidToken => {
                let outcome = self.unless_claimed(expired(), "The connect session stopped answering");
                self.finish(out, outcome);
            }
            PollResult::Retry {
                reason,
                retry_after_ms,
            } => self.schedule_retry(now, out, reason, retry_after_ms),
            PollResult::Fatal(reason) => {
                self.finish(
                    out,
                    Outcome::Failed(FlowError {
                        code: ErrorCode::Network,
                        message: format!("The session endpoint answered unexpectedly: {reason}"),
                        retryable: false,
                    }),
                );
            }
        }
    }

    fn schedule_retry(
        &mut self,
        now: Millis,
        out: &mut Vec<Effect>,
        reason: String,
        retry_after: Option<Millis>,
    ) {
        self.poll_failures = self.poll_failures.saturating_add(1);
        let unit = self.next_unit();
        let delay = retry_delay(&self.cfg, self.poll_failures, unit, retry_after);
        self.next_poll_at = Some(now + delay);
        out.push(Effect::Debug(Note::PollRetry(reason.clone())));
        self.last_poll_error = Some(reason);
    }

    /// The next number in `[0, 1)` of the jitter's generator (xorshift64*: plenty for
    /// spreading retries, and deterministic for a given seed).
    fn next_unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn on_tick(&mut self, now: Millis, started: Millis, out: &mut Vec<Effect>) {
        if self
            .target
            .as_ref()
            .and_then(|t| t.expires_at)
            .is_some_and(|at| now >= at)
        {
            let outcome = self.unless_claimed(expired(), "The connect session expired");
            self.finish(out, outcome);
            return;
        }
        if self.cfg.timeout_ms.is_some_and(|limit| now >= started + limit) {
            let timeout = Outcome::Failed(FlowError::new(
                ErrorCode::Timeout,
                "Connecting took too long. Try again.",
            ));
            let outcome = self.unless_claimed(timeout, "Time ran out");
            self.finish(out, outcome);
            return;
        }
        if self.poll_in_flight
            && self
                .poll_sent_at
                .is_some_and(|sent| now >= sent + self.cfg.poll_timeout_ms)
        {
            // No answer in time: a failed poll like any other, retried with backoff. Its
            // answer, should it still come, is dropped by the driver.
            self.poll_in_flight = false;
            self.poll_sent_at = None;
            out.push(Effect::AbortPoll);
            self.schedule_retry(
                now,
                out,
                "the session endpoint did not answer in time".into(),
                None,
            );
        }
        if self.rejections_held > 0
            && self
                .rejection_noted_at
                .is_none_or(|at| now >= at + REJECTION_NOTE_MS)
        {
            self.rejection_noted_at = Some(now);
            self.flush_rejections(out);
        }
        if let Some(until) = self.confirm_until
            && now >= until
        {
            if self.poll_in_flight || self.last_poll_error.is_some() {
                // The session could not be asked (no answer, failures): nothing contradicts
                // the message yet, so keep confirming.
                self.confirm_until = Some(now + self.cfg.confirm_window_ms);
            } else {
                self.confirm_until = None;
                // The session keeps saying "open": unconfirmed claims are dropped (the user
                // may still finish for real).
                if self.closed_at.is_none() {
                    self.claimed = None;
                    out.push(Effect::Debug(Note::NotConfirmed));
                }
            }
        }
        if let Some(closed) = self.closed_at
            && now >= closed + self.cfg.close_grace_ms
            && self.can_poll()
        {
            // A window that reads closed may still be open, cut off by the provider's
            // Cross-Origin-Opener-Policy: the opener cannot tell. The session can, so keep
            // asking it until it ends, the token expires, the deadline passes or the user
            // cancels. Never a false "cancelled", never a lost connection.
            if !self.detached {
                self.detached = true;
                // After a success message the window closing is expected (the connect page
                // closes itself): the flow is confirming, not looking for a lost window.
                if !self.success_claimed() {
                    out.push(Effect::Progress(Progress::WindowDetached));
                }
            }
            self.maybe_poll(now, out);
            return;
        }
        if let Some(closed) = self.closed_at
            && now >= closed + self.cfg.close_grace_ms
        {
            // Telling a closed window from a lost one needs the focus to have had time to
            // come back, whatever the grace period.
            let undecided = !self.focus_after_close && now < closed + LOST_DECISION_MS;
            if undecided && self.claimed.is_none() {
                return;
            }
            let outcome = match (&self.claimed, &self.last_poll_error) {
                (Some(ResultOutcome::Success { .. }), Some(err)) => Outcome::Failed(FlowError::new(
                    ErrorCode::Network,
                    format!("The connection could not be confirmed: {err}"),
                )),
                // The user saw this error in the window; the session could not be asked.
                (Some(ResultOutcome::Error { error }), Some(_)) => {
                    Outcome::Failed(FlowError::new(ErrorCode::ConnectFailed, error.clone()))
                }
                // The focus came back here: the user closed the window.
                _ if self.focus_after_close => cancelled(),
                // It never did: the window may still be open, cut off from this page (a
                // provider's COOP). Whatever happens there cannot be learned here.
                _ => Outcome::Failed(FlowError::new(
                    ErrorCode::WindowLost,
                    "The connect window can no longer be followed from this page. If you finished \
                     connecting there, the connection was made: reload to see it.",
                )),
            };
            self.finish(out, outcome);
            return;
        }
        self.maybe_poll(now, out);
    }
}

/// How long after a popup reads closed the focus may take to come back before the window
/// counts as lost rather than closed (without a session endpoint).
///
/// # Examples
///
/// Without a session endpoint, a popup that reads closed while the focus never came back is
/// `window_lost`, decided `LOST_DECISION_MS` after the close:
///
/// ```
/// use weavz_connect::flow::{Effect, ErrorCode, Flow, FlowConfig, Input, LOST_DECISION_MS, Outcome, Target};
///
/// let mut flow = Flow::new(FlowConfig { close_grace_ms: 100.0, ..FlowConfig::default() });
/// flow.handle(0.0, Input::PopupOpened);
/// flow.handle(0.0, Input::Target(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap()));
/// flow.handle(10.0, Input::PopupClosed);
/// // The grace period is over, but the focus may still come back.
/// assert!(flow.handle(110.0, Input::Tick).is_empty());
/// let effects = flow.handle(10.0 + LOST_DECISION_MS, Input::Tick);
/// assert!(matches!(
///     effects.last(),
///     Some(Effect::Finish(Outcome::Failed(e))) if e.code == ErrorCode::WindowLost
/// ));
/// ```
pub const LOST_DECISION_MS: Millis = 600.0;

fn redirect_needs_session() -> FlowError {
    FlowError::new(
        ErrorCode::InvalidOptions,
        "Redirect mode needs a sessionEndpoint and the connect token: the page that comes back \
         confirms the result through the session.",
    )
}

/// At most one debug note about rejected messages per flow in this many milliseconds.
///
/// # Examples
///
/// A flood of forged messages costs a handful of notes:
///
/// ```
/// use weavz_connect::flow::{Effect, Flow, FlowConfig, Input, Note, REJECTION_NOTE_MS, Target};
/// use weavz_connect::protocol::ResultMessage;
///
/// let mut flow = Flow::new(FlowConfig::default());
/// flow.handle(0.0, Input::Target(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap()));
/// let mut notes = 0;
/// for i in 0..20_000 {
///     let forged = Input::Message {
///         origin: "https://evil.example".into(),
///         from_popup: false,
///         payload: Ok(ResultMessage::success("forged", "slack", "u")),
///     };
///     let now = f64::from(i) * 0.1; // 20,000 messages in two seconds
///     notes += flow.handle(now, forged).iter().filter(|e| matches!(e, Effect::Debug(_))).count();
///     if i % 2_500 == 0 {
///         notes += flow.handle(now, Input::Tick).iter().filter(|e| matches!(e, Effect::Debug(_))).count();
///     }
/// }
/// assert!(notes <= 3, "{notes} notes");
/// assert_eq!(REJECTION_NOTE_MS, 1_000.0);
/// ```
pub const REJECTION_NOTE_MS: Millis = 1_000.0;

/// The delay before retry number `failures` (1, 2, …) of a failed poll: "full jitter", a
/// uniform share (`unit` in `[0, 1)`) of the exponential backoff capped at
/// [`FlowConfig::max_backoff_ms`], and never less than the server's `Retry-After`.
///
/// # Examples
///
/// ```
/// use weavz_connect::flow::{FlowConfig, retry_delay};
///
/// let cfg = FlowConfig::default(); // 1 s base, 8 s cap
/// assert_eq!(retry_delay(&cfg, 1, 0.5, None), 500.0);
/// assert_eq!(retry_delay(&cfg, 3, 0.5, None), 2_000.0);
/// assert_eq!(retry_delay(&cfg, 30, 0.999, None), 7_992.0);
/// // Retry-After is a floor.
/// assert_eq!(retry_delay(&cfg, 1, 0.0, Some(3_000.0)), 3_000.0);
/// ```
pub fn retry_delay(cfg: &FlowConfig, failures: u32, unit: f64, retry_after: Option<Millis>) -> Millis {
    let exp = cfg.poll_interval_ms * f64::from(1u32 << failures.clamp(1, 11).saturating_sub(1));
    let ceiling = exp.min(cfg.max_backoff_ms);
    (ceiling * unit.clamp(0.0, 1.0)).max(retry_after.unwrap_or(0.0))
}

fn expired() -> Outcome {
    Outcome::Failed(FlowError::new(
        ErrorCode::SessionExpired,
        "The connect session expired. Start again to get a new one.",
    ))
}

fn cancelled() -> Outcome {
    Outcome::Failed(FlowError::new(
        ErrorCode::UserCancelled,
        "The connect window was closed before finishing.",
    ))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
