//! What a connect button shows: its state, the state a flow's reports move it to, and the
//! texts for each state. Pure (no web-sys), shared by the `<weavz-connect>` element
//! (feature `element`) and the Leptos `ConnectButton` (feature `ui`), so both say the same
//! thing at the same moment.
//!
//! ```
//! use weavz_connect::button::{ButtonState, Texts};
//! use weavz_connect::flow::Progress;
//!
//! let texts = Texts::new("google-sheets", None, None);
//! let state = ButtonState::after_progress(Progress::PopupOpened).unwrap();
//! assert_eq!(state, ButtonState::Waiting);
//! assert_eq!(texts.button(&state), "Waiting for Google Sheets…");
//! assert_eq!(texts.status(&state), "Finish connecting in the popup window.");
//! assert!(state.busy());
//! ```

use crate::flow::{ErrorCode, FlowError, Outcome, Progress, Report};

/// What the button shows.
///
/// ```
/// use weavz_connect::button::ButtonState;
/// use weavz_connect::flow::Progress;
///
/// // A popup opened, then its window seemed lost (a provider's COOP): Reopen is offered.
/// let mut state = ButtonState::Idle;
/// for p in [Progress::PopupOpened, Progress::WindowDetached] {
///     state = ButtonState::after_progress(p).unwrap_or(state);
/// }
/// assert_eq!(state, ButtonState::Detached);
/// assert!(state.shows_reopen() && state.busy());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonState {
    /// Nothing happened yet.
    Idle,
    /// A popup is open.
    Waiting,
    /// The popup reads closed but the session is still open: it may have lost its link to
    /// this page (a provider's COOP). The flow waits for the session.
    Detached,
    /// A result arrived and is being confirmed with the session.
    Confirming,
    /// The hosted page reported a success that the session has not confirmed yet
    /// ("Connected — confirming…"). Its `data-state` is `confirming` too.
    ConfirmingSuccess,
    /// Redirect mode: the page is about to go to the connect page.
    Redirecting,
    /// Redirect mode: the page came back (reload, Back) without a result while the flow
    /// is still open. The user can continue it or cancel.
    Interrupted,
    /// A connection was created.
    Connected,
    /// The user closed the popup.
    Cancelled,
    /// The flow failed.
    Failed(FlowError),
}

impl ButtonState {
    /// The state a progress report moves the button to; `None` for reports that change
    /// nothing it shows.
    ///
    /// ```
    /// use weavz_connect::button::ButtonState;
    /// use weavz_connect::flow::Progress;
    ///
    /// assert_eq!(ButtonState::after_progress(Progress::Resumed), Some(ButtonState::Confirming));
    /// assert_eq!(ButtonState::after_progress(Progress::HandledElsewhere), Some(ButtonState::Idle));
    /// assert_eq!(ButtonState::after_progress(Progress::ResultReceived), None);
    /// ```
    pub fn after_progress(progress: Progress) -> Option<ButtonState> {
        match progress {
            Progress::PopupOpened => Some(ButtonState::Waiting),
            Progress::WindowDetached => Some(ButtonState::Detached),
            Progress::Confirming => Some(ButtonState::Confirming),
            Progress::SuccessUnconfirmed => Some(ButtonState::ConfirmingSuccess),
            Progress::Redirecting => Some(ButtonState::Redirecting),
            // Picked up again: checking with the session until it says otherwise.
            Progress::Resumed => Some(ButtonState::Confirming),
            Progress::Interrupted => Some(ButtonState::Interrupted),
            Progress::HandledElsewhere => Some(ButtonState::Idle),
            _ => None,
        }
    }

    /// The state a finished flow leaves the button in: a user's cancel is not an error.
    ///
    /// ```
    /// use weavz_connect::button::ButtonState;
    /// use weavz_connect::flow::{ErrorCode, FlowError, Outcome};
    ///
    /// let cancelled = Outcome::Failed(FlowError::new(ErrorCode::UserCancelled, "closed"));
    /// assert_eq!(ButtonState::after_outcome(&cancelled), ButtonState::Cancelled);
    /// let failed = Outcome::Failed(FlowError::new(ErrorCode::Timeout, "too slow"));
    /// assert_eq!(ButtonState::after_outcome(&failed).name(), "error");
    /// ```
    pub fn after_outcome(outcome: &Outcome) -> ButtonState {
        match outcome {
            Outcome::Connected(_) => ButtonState::Connected,
            Outcome::Failed(e) if e.code == ErrorCode::UserCancelled => ButtonState::Cancelled,
            Outcome::Failed(e) => ButtonState::Failed(e.clone()),
        }
    }

    /// The state a flow's report moves the button to (progress and the end; debug notes
    /// change nothing).
    ///
    /// ```
    /// use weavz_connect::button::ButtonState;
    /// use weavz_connect::flow::Report;
    /// use weavz_connect::flow::{Outcome, ErrorCode, FlowError, Progress};
    ///
    /// assert_eq!(ButtonState::after_report(&Report::Progress(Progress::PopupOpened)), Some(ButtonState::Waiting));
    /// let end = Outcome::Failed(FlowError::new(ErrorCode::UserCancelled, "closed"));
    /// assert_eq!(ButtonState::after_report(&Report::Finished(&end)), Some(ButtonState::Cancelled));
    /// ```
    pub fn after_report(report: &Report<'_>) -> Option<ButtonState> {
        match report {
            Report::Progress(p) => ButtonState::after_progress(*p),
            // The session kept saying "open": the success message was not taken.
            Report::Debug(crate::flow::Note::NotConfirmed) => Some(ButtonState::Waiting),
            Report::Debug(_) => None,
            Report::Finished(outcome) => Some(ButtonState::after_outcome(outcome)),
        }
    }

    /// The state's name, as the button's root shows it in `data-state` (for styling and
    /// tests): `idle`, `waiting`, `detached`, `confirming`, `redirecting`, `interrupted`,
    /// `connected`, `cancelled` or `error`.
    ///
    /// ```
    /// use weavz_connect::button::ButtonState;
    /// assert_eq!(ButtonState::Detached.name(), "detached");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            ButtonState::Idle => "idle",
            ButtonState::Waiting => "waiting",
            ButtonState::Detached => "detached",
            ButtonState::Confirming | ButtonState::ConfirmingSuccess => "confirming",
            ButtonState::Redirecting => "redirecting",
            ButtonState::Interrupted => "interrupted",
            ButtonState::Connected => "connected",
            ButtonState::Cancelled => "cancelled",
            ButtonState::Failed(_) => "error",
        }
    }

    /// Whether a flow is under way (the button is `aria-busy`).
    ///
    /// ```
    /// use weavz_connect::button::ButtonState;
    /// assert!(ButtonState::Confirming.busy());
    /// assert!(!ButtonState::Interrupted.busy());
    /// ```
    pub fn busy(&self) -> bool {
        matches!(
            self,
            ButtonState::Waiting
                | ButtonState::Detached
                | ButtonState::Confirming
                | ButtonState::ConfirmingSuccess
                | ButtonState::Redirecting
        )
    }

    /// Whether the secondary actions (Cancel, and Reopen when detached) are shown: while
    /// a flow is under way or interrupted.
    ///
    /// ```
    /// use weavz_connect::button::ButtonState;
    /// assert!(ButtonState::Interrupted.shows_actions());
    /// assert!(!ButtonState::Connected.shows_actions());
    /// ```
    pub fn shows_actions(&self) -> bool {
        self.busy() || *self == ButtonState::Interrupted
    }

    /// Whether the "Reopen window" action is shown (only when the window seems lost).
    ///
    /// ```
    /// use weavz_connect::button::ButtonState;
    /// assert!(ButtonState::Detached.shows_reopen());
    /// assert!(!ButtonState::Waiting.shows_reopen());
    /// ```
    pub fn shows_reopen(&self) -> bool {
        *self == ButtonState::Detached
    }
}

/// `google-sheets` → `Google Sheets`: an integration's name for people when none is given.
///
/// ```
/// use weavz_connect::button::display_name_of;
/// assert_eq!(display_name_of("google-sheets"), "Google Sheets");
/// assert_eq!(display_name_of("hub_spot"), "Hub Spot");
/// ```
pub fn display_name_of(integration: &str) -> String {
    let mut out = String::new();
    for word in integration.split(['-', '_']).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The texts of one button: its integration's display name and the idle label.
///
/// ```
/// use weavz_connect::button::{ButtonState, Texts};
/// let texts = Texts::new("hubspot", Some("HubSpot".into()), None);
/// assert_eq!(texts.button(&ButtonState::Idle), "Connect HubSpot");
/// assert_eq!(texts.status(&ButtonState::Redirecting), "Opening the HubSpot connect page…");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    name: String,
    idle_label: String,
}

impl Texts {
    /// Texts for `integration`, with an optional display name (default: from the
    /// integration's name) and idle label (default `Connect <display name>`).
    ///
    /// ```
    /// use weavz_connect::button::{ButtonState, Texts};
    /// let t = Texts::new("slack", Some("Slack (work)".into()), Some("Add Slack".into()));
    /// assert_eq!(t.button(&ButtonState::Idle), "Add Slack");
    /// assert_eq!(t.status(&ButtonState::Connected), "Connected to Slack (work).");
    /// ```
    pub fn new(integration: &str, display_name: Option<String>, label: Option<String>) -> Texts {
        let name = display_name.unwrap_or_else(|| display_name_of(integration));
        let idle_label = label.unwrap_or_else(|| format!("Connect {name}"));
        Texts { name, idle_label }
    }

    /// The main button's text in `state`.
    ///
    /// ```
    /// use weavz_connect::button::{ButtonState, Texts};
    /// use weavz_connect::flow::{ErrorCode, FlowError};
    /// let t = Texts::new("slack", None, None);
    /// let blocked = ButtonState::Failed(FlowError::new(ErrorCode::PopupBlocked, "blocked"));
    /// assert_eq!(t.button(&blocked), "Open connect window");
    /// assert_eq!(t.button(&ButtonState::Connected), "Connect Slack again");
    /// ```
    pub fn button(&self, state: &ButtonState) -> String {
        let name = &self.name;
        match state {
            ButtonState::Idle | ButtonState::Cancelled => self.idle_label.clone(),
            ButtonState::Waiting
            | ButtonState::Detached
            | ButtonState::Confirming
            | ButtonState::ConfirmingSuccess
            | ButtonState::Redirecting => format!("Waiting for {name}…"),
            ButtonState::Interrupted => format!("Continue connecting {name}"),
            ButtonState::Connected => format!("Connect {name} again"),
            // A click on it is a fresh gesture, which browsers let open a window.
            ButtonState::Failed(e) if e.code == ErrorCode::PopupBlocked => "Open connect window".to_owned(),
            ButtonState::Failed(_) => "Try again".to_owned(),
        }
    }

    /// The status line in `state` (announced by screen readers; empty when idle).
    ///
    /// ```
    /// use weavz_connect::button::{ButtonState, Texts};
    /// use weavz_connect::flow::{ErrorCode, FlowError};
    /// let t = Texts::new("slack", None, None);
    /// assert_eq!(t.status(&ButtonState::Idle), "");
    /// let failed = ButtonState::Failed(FlowError::new(ErrorCode::Timeout, "It took too long."));
    /// assert_eq!(t.status(&failed), "Could not connect: It took too long.");
    /// ```
    pub fn status(&self, state: &ButtonState) -> String {
        let name = &self.name;
        match state {
            ButtonState::Idle => String::new(),
            ButtonState::Waiting => "Finish connecting in the popup window.".to_owned(),
            ButtonState::Detached => {
                "Finish connecting in the other window. Closed it? Reopen it, or cancel.".to_owned()
            }
            ButtonState::Confirming => format!("Confirming the connection to {name}…"),
            ButtonState::ConfirmingSuccess => format!("Connected to {name} \u{2014} confirming\u{2026}"),
            ButtonState::Redirecting => format!("Opening the {name} connect page…"),
            ButtonState::Interrupted => {
                format!("Connecting to {name} was not finished. Continue, or cancel.")
            }
            ButtonState::Connected => format!("Connected to {name}."),
            ButtonState::Cancelled => "Connecting was cancelled.".to_owned(),
            ButtonState::Failed(e) if e.code == ErrorCode::PopupBlocked => {
                "Your browser blocked the connect window. Use \u{201c}Open connect window\u{201d} to open it."
                    .to_owned()
            }
            ButtonState::Failed(e) if e.code == ErrorCode::Unconfirmed => e.message.clone(),
            ButtonState::Failed(e) => format!("Could not connect: {}", e.message),
        }
    }
}

/// The secondary actions' texts.
///
/// ```
/// use weavz_connect::button::actions;
/// assert_ne!(actions::REOPEN, actions::CANCEL);
/// ```
pub mod actions {
    /// The text of the action that brings a lost connect window back.
    ///
    /// ```
    /// assert_eq!(weavz_connect::button::actions::REOPEN, "Reopen window");
    /// ```
    pub const REOPEN: &str = "Reopen window";
    /// The text of the action that cancels the flow.
    ///
    /// ```
    /// assert_eq!(weavz_connect::button::actions::CANCEL, "Cancel");
    /// ```
    pub const CANCEL: &str = "Cancel";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Connection;

    fn every_state() -> Vec<ButtonState> {
        vec![
            ButtonState::Idle,
            ButtonState::Waiting,
            ButtonState::Detached,
            ButtonState::Confirming,
            ButtonState::ConfirmingSuccess,
            ButtonState::Redirecting,
            ButtonState::Interrupted,
            ButtonState::Connected,
            ButtonState::Cancelled,
            ButtonState::Failed(FlowError::new(ErrorCode::Unconfirmed, "may exist")),
            ButtonState::Failed(FlowError::new(ErrorCode::PopupBlocked, "blocked")),
            ButtonState::Failed(FlowError::new(ErrorCode::ConnectFailed, "denied")),
        ]
    }

    #[test]
    fn every_state_has_a_button_text_and_only_idle_has_no_status() {
        let t = Texts::new("slack", None, None);
        for s in every_state() {
            assert!(!t.button(&s).is_empty(), "{s:?}");
            assert_eq!(t.status(&s).is_empty(), s == ButtonState::Idle, "{s:?}");
        }
    }

    #[test]
    fn actions_are_shown_exactly_while_a_flow_can_be_cancelled() {
        let shown: Vec<&str> = every_state()
            .iter()
            .filter(|s| s.shows_actions())
            .map(ButtonState::name)
            .collect();
        assert_eq!(
            shown,
            [
                "waiting",
                "detached",
                "confirming",
                "confirming",
                "redirecting",
                "interrupted"
            ]
        );
        let reopen: Vec<&str> = every_state()
            .iter()
            .filter(|s| s.shows_reopen())
            .map(ButtonState::name)
            .collect();
        assert_eq!(reopen, ["detached"]);
    }

    #[test]
    fn outcomes_map_to_final_states() {
        let c = Connection {
            connection_id: "c1".into(),
            integration_name: "slack".into(),
            external_id: "u".into(),
            end_user_id: None,
            session: None,
            confirmed: false,
        };
        assert_eq!(
            ButtonState::after_outcome(&Outcome::Connected(c)),
            ButtonState::Connected
        );
        let e = FlowError::new(ErrorCode::ConnectFailed, "no");
        assert_eq!(
            ButtonState::after_outcome(&Outcome::Failed(e.clone())),
            ButtonState::Failed(e)
        );
    }

    #[test]
    fn an_unconfirmed_success_is_never_shown_as_a_lost_window() {
        let t = Texts::new("slack", None, None);
        let mut state = ButtonState::Idle;
        for p in [
            Progress::PopupOpened,
            Progress::ResultReceived,
            Progress::Confirming,
            Progress::SuccessUnconfirmed,
            Progress::PopupClosed,
        ] {
            state = ButtonState::after_progress(p).unwrap_or(state);
        }
        assert_eq!(state, ButtonState::ConfirmingSuccess);
        assert_eq!(t.status(&state), "Connected to Slack \u{2014} confirming\u{2026}");
        assert!(!state.shows_reopen());
        let stopped = FlowError::new(ErrorCode::Unconfirmed, "It may exist.");
        assert_eq!(t.status(&ButtonState::Failed(stopped)), "It may exist.");
    }

    #[test]
    fn display_names_skip_empty_words() {
        assert_eq!(display_name_of("--a__b-"), "A B");
        assert_eq!(display_name_of(""), "");
        assert_eq!(display_name_of("ölbank"), "Ölbank");
    }
}
