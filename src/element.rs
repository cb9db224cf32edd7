//! `<weavz-connect>`: a custom element in plain web-sys (no Leptos, so the script-tag and
//! npm builds stay small). It renders one button, a status line (`role="status"`) and,
//! while a flow runs, Cancel (and Reopen when the window seems lost) in an open shadow
//! root styled by a constructed stylesheet (no inline styles, so a strict `style-src`
//! works). What it shows comes from [`crate::button`], as for the Leptos `ConnectButton`.
//!
//! Attributes are read when the element is connected: `integration` (required),
//! `token-endpoint` (required), `session-endpoint`, `label`, `display-name`, `token-params`
//! (JSON), `close-grace-ms`, `timeout-ms`, `mode`, `end-user`. Changing one re-renders the
//! element (ending a flow it started with `aborted`); moving the element keeps it. On mount
//! it also shows a redirect-mode flow for its integration that is pending in this tab (see
//! `WeavzConnect.resume()`). Its events (`weavz:connection-created`, `weavz:connect-error`,
//! `weavz:connect-cancelled`, `weavz:connect-event`) are dispatched on the element; they
//! bubble and cross shadow roots.
//!
//! ```no_run
//! // After `weavz_connect::js::install()` (or `define()`), any page markup works:
//! weavz_connect::element::define();
//! let document = web_sys::window().unwrap().document().unwrap();
//! let el = document.create_element(weavz_connect::element::TAG).unwrap();
//! el.set_attribute("integration", "slack").unwrap();
//! el.set_attribute("token-endpoint", "/api/connect-token").unwrap();
//! document.body().unwrap().append_child(&el).unwrap();
//! ```

use std::any::Any;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, EventTarget, HtmlElement, ShadowRootInit, ShadowRootMode, Window};

use crate::browser::driver::{self, FlowHandle, Observer, Report, ShownBy};
use crate::browser::events;
use crate::browser::listener::Listener;
use crate::browser::options::{attribute_number, for_widget, token_params_text};
use crate::browser::resume::{self, Shown};
use crate::button::{ButtonState, Texts, actions};
use crate::flow::FlowError;
use crate::options::{Checked, Given};

/// The element's tag name.
///
/// ```
/// assert_eq!(weavz_connect::element::TAG, "weavz-connect");
/// ```
pub const TAG: &str = "weavz-connect";

/// The attributes of `<weavz-connect>`; a change re-renders it.
///
/// ```
/// assert!(weavz_connect::element::ATTRIBUTES.contains(&"token-endpoint"));
/// ```
pub const ATTRIBUTES: &[&str] = &[
    "integration",
    "token-endpoint",
    "session-endpoint",
    "label",
    "display-name",
    "token-params",
    "close-grace-ms",
    "timeout-ms",
    "mode",
    "end-user",
];

#[wasm_bindgen(inline_js = r#"
export function weavz_define_element(name, attributes, mount, unmount) {
  if (customElements.get(name)) return;
  customElements.define(name, class extends HTMLElement {
    static get observedAttributes() { return attributes; }
    connectedCallback() {
      if (this.__weavzMount === undefined) this.__weavzMount = mount(this);
    }
    disconnectedCallback() {
      // A move (remove, then insert in the same task) keeps the element and its flow.
      queueMicrotask(() => {
        if (!this.isConnected) this.__weavzUnmount();
      });
    }
    attributeChangedCallback(attr, before, after) {
      // Attributes are read at mount: a change re-renders (ending a running flow).
      if (before !== after && this.__weavzMount !== undefined) {
        this.__weavzUnmount();
        this.__weavzMount = mount(this);
      }
    }
    __weavzUnmount() {
      const id = this.__weavzMount;
      this.__weavzMount = undefined;
      if (id !== undefined) unmount(id);
    }
  });
}
"#)]
extern "C" {
    fn weavz_define_element(name: &str, attributes: js_sys::Array, mount: &JsValue, unmount: &JsValue);
}

struct Mounted {
    view: Box<dyn Any>,
    container: HtmlElement,
}

thread_local! {
    /// A few per page: a list is smaller than a map.
    static MOUNTED: RefCell<Vec<(u32, Mounted)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

/// Defines a custom element `tag` observing `attributes`: `mount` builds it in its shadow
/// root and returns its mount id ([`remember`]); a change of an attribute unmounts and mounts
/// again; leaving the document (not a move) unmounts. Does nothing if `tag` is defined.
pub(crate) fn define_element(tag: &str, attributes: &[&str], mount: fn(HtmlElement) -> u32) {
    let names: js_sys::Array = attributes.iter().map(|a| JsValue::from_str(a)).collect();
    let unmount = Closure::<dyn Fn(u32)>::new(unmount).into_js_value();
    let mount = Closure::<dyn Fn(HtmlElement) -> u32>::new(mount).into_js_value();
    weavz_define_element(tag, names, &mount, &unmount);
}

/// Defines `<weavz-connect>`, once (later calls do nothing). [`crate::js::install`] calls it.
///
/// ```no_run
/// weavz_connect::element::define();
/// ```
pub fn define() {
    define_element(TAG, ATTRIBUTES, mount);
}

/// An attribute's value; blank counts as absent.
pub(crate) fn attr(el: &Element, name: &str) -> Option<String> {
    el.get_attribute(name).filter(|v| !v.trim().is_empty())
}

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

fn create(document: &Document, tag: &str, class: &str, part: &str) -> Option<Element> {
    let el = document.create_element(tag).ok()?;
    let _ = el.set_attribute("class", class);
    let _ = el.set_attribute("part", part);
    Some(el)
}

/// A new mount id, and a container in the host's (open) shadow root styled by `css`.
pub(crate) fn prepare(host: &HtmlElement, css: &str) -> Option<(u32, HtmlElement)> {
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    let shadow = match host.shadow_root() {
        Some(s) => s,
        None => host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .ok()?,
    };
    if let Ok(sheet) = web_sys::CssStyleSheet::new()
        && sheet.replace_sync(css).is_ok()
    {
        shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    }
    let container = document()?
        .create_element("div")
        .ok()?
        .dyn_into::<HtmlElement>()
        .ok()?;
    let _ = shadow.append_child(&container);
    Some((id, container))
}

/// Keeps `view` alive until mount `id` is unmounted (then it is dropped and `container`
/// removed).
pub(crate) fn remember(id: u32, view: Box<dyn Any>, container: HtmlElement) -> u32 {
    MOUNTED.with(|m| m.borrow_mut().push((id, Mounted { view, container })));
    id
}

/// A misconfigured element says so, on the page and in the console, instead of a button
/// that cannot work.
pub(crate) fn show_config_error(tag: &str, id: u32, container: HtmlElement, problem: &str) -> u32 {
    let message = format!("{tag}: {problem}");
    web_sys::console::error_1(&message.as_str().into());
    container.set_text_content(Some(&message));
    let _ = container.set_attribute("role", "alert");
    let _ = container.set_attribute("part", "error");
    remember(id, Box::new(()), container)
}

fn unmount(id: u32) {
    // Take it out first: dropping the view runs cleanups that may dispatch events.
    let mounted = MOUNTED.with(|m| {
        let mut m = m.borrow_mut();
        let at = m.iter().position(|(i, _)| *i == id)?;
        Some(m.swap_remove(at).1)
    });
    if let Some(m) = mounted {
        m.container.remove();
        drop(m.view);
    }
}

/// What the attributes say, checked at mount (by [`crate::options`], as for every surface).
struct Config {
    integration: String,
    checked: Checked,
    token_params: Option<String>,
}

impl Config {
    fn read(host: &Element) -> Result<Config, FlowError> {
        let number = |name: &str| attr(host, name).map(|v| attribute_number(&v));
        let given = Given {
            session_endpoint: attr(host, "session-endpoint"),
            mode: attr(host, "mode"),
            close_grace_ms: number("close-grace-ms"),
            timeout_ms: number("timeout-ms"),
            end_user_id: attr(host, "end-user"),
            ..Given::widget(
                &attr(host, "integration").unwrap_or_default(),
                &attr(host, "token-endpoint").unwrap_or_default(),
            )
        };
        let checked = given.check()?;
        let token_params = attr(host, "token-params");
        // Checked now, so a bad one is an error at mount, not at the first click.
        token_params_text(token_params.as_deref())?;
        Ok(Config {
            integration: checked.integration.clone().unwrap_or_default(),
            checked,
            token_params,
        })
    }
}

/// One mounted `<weavz-connect>`.
struct Button {
    host: HtmlElement,
    config: Config,
    texts: Texts,
    state: RefCell<ButtonState>,
    root: Element,
    button: Element,
    status: Element,
    actions: Element,
    reopen: Element,
    listeners: RefCell<Vec<Listener>>,
    /// A click is starting a flow (see `on_click`).
    starting: std::cell::Cell<bool>,
    /// Dropped with the button: a flow it started is aborted, and its final report (the
    /// observer's weak reference no longer upgrades) only dispatches the DOM event.
    flow: RefCell<Option<Shown>>,
}

fn mount(host: HtmlElement) -> u32 {
    let Some((id, container)) = prepare(&host, include_str!("element.css")) else {
        return 0;
    };
    let config = match Config::read(&host) {
        Ok(c) => c,
        Err(problem) => return show_config_error(TAG, id, container, &problem.message),
    };
    match Button::build(host, config, &container) {
        Some(button) => remember(id, Box::new(button), container),
        None => show_config_error(TAG, id, container, "the browser refused to build the button."),
    }
}

impl Button {
    fn build(host: HtmlElement, config: Config, container: &HtmlElement) -> Option<Rc<Button>> {
        let document = document()?;
        let root = create(&document, "div", "weavz-connect", "root")?;
        let button = create(&document, "button", "weavz-connect__button", "button")?;
        let status = create(&document, "p", "weavz-connect__status", "status")?;
        let actions = create(&document, "div", "weavz-connect__actions", "actions")?;
        let reopen = create(&document, "button", "weavz-connect__secondary", "reopen")?;
        let cancel = create(&document, "button", "weavz-connect__secondary", "cancel")?;
        for b in [&button, &reopen, &cancel] {
            let _ = b.set_attribute("type", "button");
        }
        let _ = status.set_attribute("role", "status");
        let _ = status.set_attribute("aria-live", "polite");
        reopen.set_text_content(Some(actions::REOPEN));
        cancel.set_text_content(Some(actions::CANCEL));
        let _ = actions.append_child(&cancel);
        let _ = root.append_child(&button);
        let _ = root.append_child(&status);
        let _ = container.append_child(&root);

        let texts = Texts::new(
            &config.integration,
            attr(&host, "display-name"),
            attr(&host, "label"),
        );
        let this = Rc::new(Button {
            host,
            config,
            texts,
            state: RefCell::new(ButtonState::Idle),
            root,
            button,
            status,
            actions,
            reopen,
            listeners: RefCell::new(Vec::new()),
            starting: std::cell::Cell::new(false),
            flow: RefCell::new(None),
        });
        let on = |target: &Element, act: fn(&Rc<Button>)| {
            let weak = Rc::downgrade(&this);
            Listener::new(target, "click", move |_| {
                if let Some(b) = weak.upgrade() {
                    act(&b);
                }
            })
        };
        let listeners = [
            on(&this.button, Button::on_click),
            on(&this.reopen, Button::on_reopen),
            on(&cancel, Button::on_cancel),
        ];
        this.listeners
            .borrow_mut()
            .extend(listeners.into_iter().flatten());
        this.render();
        this.show_resumed(&this);
        Some(this)
    }

    /// A flow for this integration that left the page in redirect mode and is pending in
    /// this tab: shown by the first button for the integration.
    fn show_resumed(&self, this: &Rc<Button>) {
        let Some(window) = web_sys::window() else { return };
        let host: &EventTarget = self.host.as_ref();
        let Some(r) = resume::resume(&window).into_iter().find(|r| {
            r.integration.as_deref() == Some(self.config.integration.as_str())
                && r.shown_by != Some(ShownBy::Panel)
                && r.claim(host)
        }) else {
            return;
        };
        if r.handle().is_none() {
            return;
        }
        // Its events are dispatched by the resumed flow itself (on this element).
        let subscription = r.subscribe(observer(Rc::downgrade(this), None));
        let old = std::mem::replace(&mut *self.flow.borrow_mut(), Shown::resumed(r, subscription));
        drop(old);
    }

    fn handle(&self) -> Option<FlowHandle> {
        self.flow.borrow().as_ref().map(|s| s.handle().clone())
    }

    fn set_state(&self, state: ButtonState) {
        // The same state again (Waiting, then PopupOpened) changes nothing: rewriting the
        // status line would make screen readers announce it twice.
        if *self.state.borrow() == state {
            return;
        }
        *self.state.borrow_mut() = state;
        self.render();
    }

    fn render(&self) {
        let state = self.state.borrow().clone();
        let _ = self.root.set_attribute("data-state", state.name());
        self.button.set_text_content(Some(&self.texts.button(&state)));
        let _ = self
            .button
            .set_attribute("aria-busy", if state.busy() { "true" } else { "false" });
        self.status.set_text_content(Some(&self.texts.status(&state)));
        // Shown actions are in the tree, hidden ones are not (as in `ConnectButton`). A
        // node in place is not touched: moving it would take the focus away.
        if !state.shows_reopen() {
            self.keep_focus_off(&self.reopen);
            self.reopen.remove();
        } else if self.reopen.parent_node().is_none() {
            let _ = self
                .actions
                .insert_before(&self.reopen, self.actions.first_child().as_ref());
        }
        if !state.shows_actions() {
            self.keep_focus_off(&self.actions);
            self.actions.remove();
        } else if self.actions.parent_node().is_none() {
            let _ = self.root.append_child(&self.actions);
        }
    }

    /// Before `leaving` is taken out of the tree: if the keyboard focus is in it (the user
    /// pressed Cancel), it moves to the main button instead of falling to the page.
    fn keep_focus_off(&self, leaving: &Element) {
        let focused = self.host.shadow_root().and_then(|s| s.active_element());
        if leaving.parent_node().is_some()
            && focused.is_some_and(|f| leaving.contains(Some(&f)))
            && let Some(button) = self.button.dyn_ref::<HtmlElement>()
        {
            let _ = button.focus();
        }
    }

    fn fail(&self, err: FlowError) {
        let detail = events::error_detail(&err);
        self.set_state(ButtonState::Failed(err));
        events::dispatch(self.host.as_ref(), events::CONNECT_ERROR, &detail);
    }

    fn on_click(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else { return };
        if let Some(h) = self.handle()
            && h.is_running()
        {
            // One flow per button: a second click brings its window forward (or, for an
            // interrupted redirect, goes back to the connect page).
            if *self.state.borrow() == ButtonState::Interrupted {
                h.reopen(&window);
            } else {
                h.focus();
            }
            return;
        }
        // A page's listener that clicks the button again while this click starts a flow
        // (events go out synchronously) is ignored: one flow per button.
        if self.starting.replace(true) {
            return;
        }
        let started = self.start(&window);
        self.starting.set(false);
        match started {
            Ok(handle) => {
                // The flow may have ended already (a blocked popup); its guard goes here
                // either way. The old one is dropped outside the borrow.
                let old = self.flow.borrow_mut().replace(Shown::started(handle));
                drop(old);
            }
            Err(err) => self.fail(err),
        }
    }

    fn start(self: &Rc<Self>, window: &Window) -> Result<FlowHandle, FlowError> {
        let c = &self.config;
        let options = for_widget(c.checked.clone(), c.token_params.as_deref(), ShownBy::Button)?;
        self.set_state(ButtonState::Waiting);
        // The observer only holds a weak reference: the element owns the flow, not the
        // other way round.
        let observer = observer(Rc::downgrade(self), Some(self.host.clone().into()));
        Ok(driver::start(window, options, observer))
    }

    fn on_cancel(self: &Rc<Self>) {
        if let Some(h) = self.handle() {
            h.cancel();
        }
    }

    fn on_reopen(self: &Rc<Self>) {
        if let (Some(h), Some(window)) = (self.handle(), web_sys::window())
            && !h.reopen(&window)
        {
            self.set_state(ButtonState::Detached);
        }
    }
}

/// The observer of a flow a button shows: updates the button while it exists and
/// dispatches the DOM events on `dispatch_to` (none for resumed flows, which dispatch
/// their own).
fn observer(button: Weak<Button>, dispatch_to: Option<EventTarget>) -> Observer {
    Rc::new(move |flow_id: &str, report: Report<'_>| {
        // The new state first: a listener of the event reads it.
        if let (Some(b), Some(next)) = (button.upgrade(), ButtonState::after_report(&report)) {
            b.set_state(next);
        }
        if let Some(t) = &dispatch_to {
            events::dispatch_report(t, flow_id, &report);
        }
    })
}
