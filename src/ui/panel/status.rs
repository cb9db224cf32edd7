//! The panel's status: what it says in its one `role="status"` live region (waiting,
//! confirming, interrupted, connected, disconnected, errors), and the kind of status the
//! panel shows as `data-status`.

use leptos::prelude::*;

use super::load::Catalog;
use crate::flow::{ErrorCode, Outcome};
use crate::i18n::{Key, Lang, error_text, fill, text};

/// What the status region says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Status {
    None,
    Waiting(String),
    /// A redirect-mode flow picked up again, being checked with the session.
    Confirming(String),
    /// A redirect-mode flow whose session is still open: continue or cancel.
    Interrupted(String),
    Connected(String),
    Error(String),
    Info(String),
}

impl Status {
    /// What a flow ends with (`key` names the integration, `name` is its name for people
    /// now).
    pub(super) fn finished(lang: Lang, key: &str, name: &str, outcome: &Outcome) -> Status {
        match outcome {
            Outcome::Connected(_) => Status::Connected(key.to_owned()),
            Outcome::Failed(e) if e.code == ErrorCode::UserCancelled => {
                Status::Info(fill(text(lang, Key::Cancelled), name, ""))
            }
            Outcome::Failed(e) => Status::Error(error_text(lang, name, e)),
        }
    }

    /// Whether a flow is under way (its Cancel button shows).
    pub(super) fn in_flow(&self) -> bool {
        matches!(
            self,
            Status::Waiting(_) | Status::Confirming(_) | Status::Interrupted(_)
        )
    }

    /// The panel's `data-status`.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Status::None => "idle",
            Status::Waiting(_) | Status::Confirming(_) => "waiting",
            Status::Interrupted(_) => "interrupted",
            Status::Connected(_) => "connected",
            Status::Error(_) => "error",
            Status::Info(_) => "info",
        }
    }

    /// What the region says; `name_of` gives an integration's name for people.
    pub(super) fn text(&self, lang: Lang, name_of: impl Fn(&str) -> String) -> String {
        let t = |k: Key| text(lang, k);
        match self {
            Status::None => String::new(),
            // These carry the integration's key: its name follows the catalog once loaded.
            Status::Waiting(k) => fill(t(Key::Waiting), &name_of(k), ""),
            Status::Confirming(k) => fill(t(Key::Confirming), &name_of(k), ""),
            Status::Interrupted(k) => fill(t(Key::Interrupted), &name_of(k), ""),
            Status::Connected(k) => fill(t(Key::Connected), &name_of(k), ""),
            Status::Error(s) | Status::Info(s) => s.clone(),
        }
    }
}

/// The live region.
#[component]
pub(super) fn StatusLine(lang: Lang, status: RwSignal<Status>, catalog: Catalog) -> impl IntoView {
    let status_text = move || status.with(|s| s.text(lang, |k| catalog.name_of(k)));
    view! {
        <p class="weavz-panel__status" part="status" role="status" aria-live="polite">{status_text}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::FlowError;

    #[test]
    fn a_finished_flow_says_how_it_ended() {
        let cancelled = Outcome::Failed(FlowError::new(ErrorCode::UserCancelled, "closed"));
        assert_eq!(
            Status::finished(Lang::En, "slack", "Slack", &cancelled),
            Status::Info("Connecting Slack was cancelled.".into())
        );
        let failed = Outcome::Failed(FlowError::new(ErrorCode::Network, "down"));
        assert!(matches!(
            Status::finished(Lang::En, "slack", "Slack", &failed),
            Status::Error(_)
        ));
    }

    #[test]
    fn statuses_with_a_key_are_named_when_shown() {
        let name_of = |k: &str| k.to_uppercase();
        assert_eq!(Status::None.text(Lang::En, name_of), "");
        assert_eq!(
            Status::Connected("slack".into()).text(Lang::En, name_of),
            "Connected to SLACK."
        );
        assert_eq!(Status::Info("Done.".into()).text(Lang::En, name_of), "Done.");
    }

    #[test]
    fn kinds_and_flows() {
        let waiting = Status::Waiting("slack".into());
        assert_eq!(waiting.kind(), "waiting");
        assert_eq!(Status::Confirming("slack".into()).kind(), "waiting");
        assert_eq!(Status::Interrupted("slack".into()).kind(), "interrupted");
        assert_eq!(Status::None.kind(), "idle");
        assert_eq!(Status::Error("x".into()).kind(), "error");
        assert!(waiting.in_flow());
        assert!(!Status::Connected("slack".into()).in_flow());
        assert!(!Status::Info("x".into()).in_flow());
    }
}
