//! The panel's connect flow: at most one at a time, started from the picker or resumed (a
//! redirect-mode flow pending in this tab), reported in the status region and as DOM
//! events, with its Cancel/Continue buttons.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use leptos::html::{Button, Div};
use leptos::prelude::*;

use super::focus::{focus_launcher, keep_focus};
use super::load::{Catalog, Connections};
use super::status::Status;
use crate::browser::driver::{self, FlowHandle, Report, ShownBy};
use crate::browser::events;
use crate::browser::options::for_widget;
use crate::browser::resume::{self, Shown};
use crate::flow::{Outcome, Progress};
use crate::i18n::{Key, Lang, error_text, text};
use crate::options::{Given, Mode, TokenParams};
use crate::ui::data::{self, Integration};

/// What a flow is started with (the panel's props).
pub(super) struct FlowSettings {
    pub(super) token_endpoint: String,
    pub(super) session_endpoint: MaybeProp<String>,
    pub(super) mode: Option<Mode>,
    pub(super) end_user_id: Option<String>,
    pub(super) token_params: Option<TokenParams>,
    /// Where DOM events are dispatched (else the panel's root).
    pub(super) event_target: Option<web_sys::EventTarget>,
}

/// The flow the panel shows, and what it reports to.
#[derive(Clone, Copy)]
pub(super) struct Flows {
    /// Aborted if started here, released if resumed, when replaced or dropped.
    shown: StoredValue<Option<Shown>, LocalStorage>,
    /// Cleared when the panel is cleaned up: reports arriving after touch nothing.
    alive: StoredValue<Arc<AtomicBool>>,
    settings: StoredValue<FlowSettings, LocalStorage>,
    lang: Lang,
    status: RwSignal<Status>,
    catalog: Catalog,
    connections: Connections,
    root: NodeRef<Div>,
    launcher: NodeRef<Button>,
}

impl Flows {
    /// No flow yet. When the component is cleaned up, a flow the panel started is aborted
    /// and a resumed one released.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        settings: FlowSettings,
        lang: Lang,
        status: RwSignal<Status>,
        catalog: Catalog,
        connections: Connections,
        root: NodeRef<Div>,
        launcher: NodeRef<Button>,
    ) -> Flows {
        let alive = Arc::new(AtomicBool::new(true));
        let flows = Flows {
            shown: StoredValue::new_local(None),
            alive: StoredValue::new(alive.clone()),
            settings: StoredValue::new_local(settings),
            lang,
            status,
            catalog,
            connections,
            root,
            launcher,
        };
        let shown = flows.shown;
        on_cleanup(move || {
            alive.store(false, Ordering::Relaxed);
            shown.update_value(|shown| drop(shown.take()));
        });
        flows
    }

    /// The flow's handle, if there is one.
    fn handle(self) -> Option<FlowHandle> {
        self.shown.with_value(|s| s.as_ref().map(|s| s.handle().clone()))
    }

    /// A redirect-mode flow for one of these integrations (`allowed`; none: any), pending
    /// in this tab (the page came back from the connect page, or was reloaded): shown here
    /// until it ends.
    pub(super) fn resume(self, allowed: Option<&[String]>) {
        let event_target = self.settings.with_value(|s| s.event_target.clone());
        let Some(window) = web_sys::window() else {
            return;
        };
        let Some(shown_on) = event_target.or_else(|| window.document().map(Into::into)) else {
            return;
        };
        let Some(r) = resume::resume(&window).into_iter().find(|r| {
            let offered = match (allowed, &r.integration) {
                (Some(names), Some(i)) => names.contains(i),
                (Some(_), None) => false,
                (None, _) => true,
            };
            offered && r.shown_by == Some(ShownBy::Panel) && r.claim(&shown_on)
        }) else {
            return;
        };
        if r.handle().is_none() {
            return;
        }
        let key = r.integration.clone().unwrap_or_default();
        let alive = self.alive.get_value();
        let Flows {
            lang,
            status,
            catalog,
            root,
            launcher,
            ..
        } = self;
        let subscription = r.subscribe(Rc::new(move |_: &str, report: Report<'_>| {
            if !alive.load(Ordering::Relaxed) {
                return;
            }
            let next = match report {
                Report::Progress(Progress::Resumed | Progress::Confirming) => Status::Confirming(key.clone()),
                Report::Progress(Progress::Interrupted) => Status::Interrupted(key.clone()),
                Report::Progress(Progress::Redirecting) => Status::Waiting(key.clone()),
                Report::Progress(Progress::HandledElsewhere) => Status::None,
                Report::Finished(outcome) => {
                    keep_focus(root, launcher);
                    Status::finished(lang, &key, &catalog.name_of_now(&key), outcome)
                }
                _ => return,
            };
            status.try_set(next);
        }));
        self.shown.set_value(Shown::resumed(r, subscription));
    }

    /// Starts connecting `integration`, unless a flow is running (that flow's window takes
    /// the focus) or the options are wrong (the status says so). Whether a flow started.
    pub(super) fn connect(self, integration: Integration) -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        if let Some(h) = self.handle().filter(FlowHandle::is_running) {
            h.focus();
            return false;
        }
        let Flows {
            lang,
            status,
            root,
            launcher,
            ..
        } = self;
        let name = integration.display_name.clone();
        // The same checks, and the same errors, as every other surface.
        let (options, flow_user, event_target) = self.settings.with_value(|s| {
            let given = Given {
                session_endpoint: s.session_endpoint.get_untracked(),
                mode: s.mode.map(|m| m.as_str().to_owned()),
                end_user_id: s.end_user_id.clone(),
                ..Given::widget(&integration.name, &s.token_endpoint)
            };
            let params = s.token_params.clone();
            let options = given.check().and_then(|checked| {
                let text = params.as_ref().map(TokenParams::json).transpose()?;
                for_widget(checked, text, ShownBy::Panel)
            });
            (options, s.end_user_id.clone(), s.event_target.clone())
        });
        let options = match options {
            Ok(options) => options,
            Err(e) => {
                // Never mint a token without the host's fields. The page is told in its
                // language; the developer, in the console, exactly what is wrong.
                web_sys::console::error_1(&format!("weavz-connections: {}", e.message).into());
                status.set(Status::Error(error_text(lang, &name, &e)));
                return false;
            }
        };
        // The window opens now, inside the click; the picker closes after.
        status.set(Status::Waiting(integration.name.clone()));
        let key = integration.name.clone();
        let target = event_target.or_else(|| root.get_untracked().map(Into::into));
        let alive = self.alive.get_value();
        let connections_url = self.connections.url();
        let observer: driver::Observer = Rc::new(move |flow_id: &str, report: Report<'_>| {
            let Some(target) = &target else { return };
            match report {
                Report::Progress(p) => {
                    // Redirect mode, this page restored from the back/forward cache or
                    // still here after it should have left: the flow says where it stands.
                    let next = match p {
                        Progress::Resumed => Some(Status::Confirming(key.clone())),
                        Progress::Interrupted => Some(Status::Interrupted(key.clone())),
                        Progress::HandledElsewhere => Some(Status::None),
                        _ => None,
                    };
                    if let Some(next) = next
                        && alive.load(Ordering::Relaxed)
                    {
                        status.try_set(next);
                    }
                }
                Report::Debug(_) => {}
                Report::Finished(outcome) => {
                    if alive.load(Ordering::Relaxed) {
                        keep_focus(root, launcher);
                        status.try_set(Status::finished(lang, &key, &name, outcome));
                    }
                }
            }
            // An end user's flow that only the connect page's message vouches for (a
            // portal link has no session to ask) counts as confirmed once this panel's
            // connections endpoint lists the connection for that end user.
            if let Report::Finished(Outcome::Connected(c)) = &report
                && !c.confirmed
                && c.end_user_id.is_some()
                && c.end_user_id == flow_user
            {
                let (target, url, mut c) = (target.clone(), connections_url.clone(), c.clone());
                leptos::task::spawn_local(async move {
                    c.confirmed = data::request("GET", &url)
                        .await
                        .ok()
                        .and_then(|body| data::connections_from(&body))
                        .is_some_and(|list| list.iter().any(|l| l.id == c.connection_id));
                    let detail = events::connection_detail(&c);
                    events::dispatch(&target, events::CONNECTION_CREATED, &detail);
                });
                return;
            }
            events::dispatch_report(target, flow_id, &report);
        });
        let handle = driver::start(&window, options, observer);
        self.shown.set_value(Some(Shown::started(handle)));
        true
    }

    /// Cancels the flow. Its Cancel button goes away with it: the focus goes back to the
    /// launcher.
    fn cancel(self) {
        if let Some(h) = self.handle() {
            h.cancel();
        }
        focus_launcher(self.launcher);
    }

    /// Opens the interrupted flow's connect page again.
    fn reopen(self) {
        if let (Some(h), Some(window)) = (self.handle(), web_sys::window()) {
            h.reopen(&window);
        }
    }
}

/// While a flow is under way: Cancel, and for an interrupted one Continue.
#[component]
pub(super) fn FlowActions(lang: Lang, status: RwSignal<Status>, flows: Flows) -> impl IntoView {
    let t = move |k: Key| text(lang, k);
    view! {
        <Show when=move || status.with(Status::in_flow)>
            <div class="weavz-panel__actions">
                <Show when=move || matches!(status.get(), Status::Interrupted(_))>
                    <button type="button" class="weavz-panel__primary" part="continue" on:click=move |_| flows.reopen()>
                        {t(Key::Continue)}
                    </button>
                </Show>
                <button type="button" class="weavz-panel__secondary" part="cancel" on:click=move |_| flows.cancel()>
                    {t(Key::Cancel)}
                </button>
            </div>
        </Show>
    }
}
