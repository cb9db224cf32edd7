//! Picking up redirect-mode flows when a page loads: [`resume`] starts one flow per
//! pending record, once per page, however many times it is called (by
//! `WeavzConnect.resume()` and by every `<weavz-connect>` element). Each resumed flow
//! dispatches its DOM events exactly once: on the element that shows it (the first one for
//! its integration), or on `document` when none does; they bubble to `window` either way.
//! Elements and promises subscribe to show or return its outcome.
//!
//! ```no_run
//! use weavz_connect::browser::resume::resume;
//!
//! let window = web_sys::window().unwrap();
//! // At page load: nothing happens when no redirect-mode flow is pending.
//! let flows = resume(&window);
//! web_sys::console::log_1(&format!("{} flows resumed", flows.len()).into());
//! ```

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use web_sys::{EventTarget, Window};

use super::driver::{self, FlowHandle, Observer, Report};
use super::events;
use super::redirect;
use crate::flow::{Outcome, Progress};

/// The flow a widget shows, and what its end means. Dropped with the widget (removed,
/// re-rendered, its component cleaned up): a flow the widget started is aborted; a flow
/// resumed after a redirect belongs to the page, so it goes on (its events still reach
/// `window`) and is only released for another widget to show. One guard for every widget.
///
/// # Examples
///
/// ```no_run
/// use std::rc::Rc;
/// use weavz_connect::browser::driver::{self, Report, Source, StartOptions};
/// use weavz_connect::browser::resume::Shown;
/// use weavz_connect::flow::Target;
///
/// let window = web_sys::window().unwrap();
/// let target = Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap();
/// let handle = driver::start(&window, StartOptions::new(Source::Ready(target)), Rc::new(|_: &str, _: Report<'_>| {}));
/// let shown = Shown::started(handle);
/// drop(shown); // the widget went away: its flow is aborted
/// assert_eq!(driver::active_flows(), 0);
/// ```
pub struct Shown {
    handle: FlowHandle,
    resumed: Option<(Rc<Resumed>, u32)>,
}

impl Shown {
    /// A flow the widget started: aborted when the guard goes.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::rc::Rc;
    /// # use weavz_connect::browser::driver::{self, Report, Source, StartOptions};
    /// # use weavz_connect::flow::Target;
    /// use weavz_connect::browser::resume::Shown;
    ///
    /// # let window = web_sys::window().unwrap();
    /// # let target = Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap();
    /// let handle = driver::start(&window, StartOptions::new(Source::Ready(target)), Rc::new(|_: &str, _: Report<'_>| {}));
    /// assert!(Shown::started(handle).handle().is_running());
    /// ```
    pub fn started(handle: FlowHandle) -> Shown {
        Shown {
            handle,
            resumed: None,
        }
    }

    /// A resumed flow the widget subscribed to (`subscription`, from
    /// [`Resumed::subscribe`]): released, not aborted, when the guard goes. `None` if the
    /// flow has no handle (it never started).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::rc::Rc;
    /// use weavz_connect::browser::driver::Report;
    /// use weavz_connect::browser::resume::{self, Shown};
    ///
    /// let window = web_sys::window().unwrap();
    /// if let Some(r) = resume::resume(&window).into_iter().next() {
    ///     let subscription = r.subscribe(Rc::new(|_: &str, _: Report<'_>| {}));
    ///     let shown = Shown::resumed(r, subscription);
    ///     assert!(shown.is_some());
    /// }
    /// ```
    pub fn resumed(resumed: Rc<Resumed>, subscription: u32) -> Option<Shown> {
        let handle = resumed.handle()?.clone();
        Some(Shown {
            handle,
            resumed: Some((resumed, subscription)),
        })
    }

    /// The flow.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::rc::Rc;
    /// # use weavz_connect::browser::driver::{self, Report, Source, StartOptions};
    /// # use weavz_connect::flow::Target;
    /// use weavz_connect::browser::resume::Shown;
    ///
    /// # let window = web_sys::window().unwrap();
    /// # let target = Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap();
    /// let shown = Shown::started(driver::start(&window, StartOptions::new(Source::Ready(target)), Rc::new(|_: &str, _: Report<'_>| {})));
    /// shown.handle().focus();
    /// ```
    pub fn handle(&self) -> &FlowHandle {
        &self.handle
    }
}

impl Drop for Shown {
    fn drop(&mut self) {
        match &self.resumed {
            None => self.handle.abort(),
            Some((r, subscription)) => r.release(*subscription),
        }
    }
}

/// A flow picked up after a redirect.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::resume;
///
/// let window = web_sys::window().unwrap();
/// for flow in resume::resume(&window) {
///     let integration = flow.integration.as_deref().unwrap_or("?");
///     let running = flow.handle().is_some_and(|h| h.is_running());
///     web_sys::console::log_1(&format!("{integration}: still running: {running}").into());
/// }
/// ```
pub struct Resumed {
    handle: OnceCell<FlowHandle>,
    id: String,
    /// Its integration, when it was saved with one.
    pub integration: Option<String>,
    /// The kind of widget that started it (`None`: the JS API).
    pub shown_by: Option<crate::options::ShownBy>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    last_progress: Option<Progress>,
    outcome: Option<Outcome>,
    subscribers: Vec<(u32, Observer)>,
    next_subscriber: u32,
    /// The element showing the flow: its events are dispatched there.
    shown_by: Option<EventTarget>,
}

impl Resumed {
    /// The running flow (same id as before the redirect).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::resume;
    ///
    /// let window = web_sys::window().unwrap();
    /// // The user chose "Cancel" on an interrupted flow:
    /// if let Some(handle) = resume::resume(&window).first().and_then(|f| f.handle()) {
    ///     handle.cancel();
    /// }
    /// ```
    pub fn handle(&self) -> Option<&FlowHandle> {
        self.handle.get()
    }

    /// Calls `observer` with the flow's reports from now on, after replaying its latest
    /// progress step and, if it already ended, its outcome. (DOM events are not repeated:
    /// they went out once.) Returns an id for [`Resumed::release`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::rc::Rc;
    /// use weavz_connect::browser::driver::Report;
    /// use weavz_connect::browser::resume;
    /// use weavz_connect::flow::Outcome;
    ///
    /// let window = web_sys::window().unwrap();
    /// if let Some(flow) = resume::resume(&window).pop() {
    ///     // Called at once with the latest step (and the outcome, if it already ended).
    ///     let _subscription = flow.subscribe(Rc::new(|_: &str, report: Report<'_>| {
    ///         if let Report::Finished(Outcome::Connected(c)) = report {
    ///             web_sys::console::log_1(&format!("connected {}", c.connection_id).into());
    ///         }
    ///     }));
    /// }
    /// ```
    pub fn subscribe(&self, observer: Observer) -> u32 {
        let (progress, outcome, sub) = {
            let mut s = self.state.borrow_mut();
            let sub = s.next_subscriber;
            s.next_subscriber += 1;
            if s.outcome.is_none() {
                s.subscribers.push((sub, observer.clone()));
            }
            (s.last_progress, s.outcome.clone(), sub)
        };
        let id = self.id.as_str();
        if let Some(p) = progress {
            observer(id, Report::Progress(p));
        }
        if let Some(o) = &outcome {
            observer(id, Report::Finished(o));
        }
        sub
    }

    /// Marks the flow as shown by `element` (its events are dispatched there from now on);
    /// false if another element already shows it.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::resume;
    ///
    /// let window = web_sys::window().unwrap();
    /// let element = window.document().unwrap().get_element_by_id("connect-slack").unwrap();
    /// for flow in resume::resume(&window) {
    ///     if flow.integration.as_deref() == Some("slack") && flow.claim(&element) {
    ///         // From now on the flow's DOM events are dispatched on `element`.
    ///         break;
    ///     }
    /// }
    /// ```
    pub fn claim(&self, element: &EventTarget) -> bool {
        let mut s = self.state.borrow_mut();
        if s.shown_by.is_some() {
            return false;
        }
        s.shown_by = Some(element.clone());
        true
    }

    /// Undoes [`Resumed::claim`] (the element went away) and drops its subscription.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::rc::Rc;
    /// use weavz_connect::browser::driver::Report;
    /// use weavz_connect::browser::resume;
    ///
    /// let window = web_sys::window().unwrap();
    /// let element = window.document().unwrap().get_element_by_id("connect-slack").unwrap();
    /// if let Some(flow) = resume::resume(&window).pop() {
    ///     flow.claim(&element);
    ///     let subscription = flow.subscribe(Rc::new(|_: &str, _: Report<'_>| {}));
    ///     // The element was removed from the page:
    ///     flow.release(subscription);
    /// }
    /// ```
    pub fn release(&self, subscription: u32) {
        let mut s = self.state.borrow_mut();
        s.shown_by = None;
        s.subscribers.retain(|(id, _)| *id != subscription);
    }
}

thread_local! {
    static RESUMED: RefCell<Option<Vec<Rc<Resumed>>>> = const { RefCell::new(None) };
}

/// The redirect-mode flows of this tab, started on the first call (later calls return
/// the same flows). Removes the `weavz_*` parameters from the address bar. Empty when
/// nothing is pending.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::resume::resume;
///
/// let window = web_sys::window().unwrap();
/// let first = resume(&window);
/// // Later calls return the same flows; none is started twice.
/// let again = resume(&window);
/// assert_eq!(first.len(), again.len());
/// ```
pub fn resume(window: &Window) -> Vec<Rc<Resumed>> {
    if let Some(list) = RESUMED.with(|r| r.borrow().clone()) {
        return list;
    }
    // Registered before any flow runs, so a re-entrant call sees it.
    RESUMED.with(|r| *r.borrow_mut() = Some(Vec::new()));
    let back = redirect::read_return(window);
    let pending: Vec<_> = redirect::load_all(window)
        .into_iter()
        .filter(|p| !driver::is_active(&p.id))
        .collect();
    // The return parameters belong to the flow they name, or (when the host created the
    // token with its own redirect URI) to the latest pending flow.
    let latest = pending
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.created.total_cmp(&b.1.created))
        .map(|(i, _)| i);
    let hinted = match &back.flow_id {
        Some(id) => pending.iter().position(|p| &p.id == id),
        None => back.hint.as_ref().and(latest),
    };
    let hash = hinted.and_then(|i| pending.get(i)).and_then(|p| p.hash.clone());
    redirect::clean_address_bar(window, hash.as_deref());

    let mut list = Vec::new();
    // The flow the address bar named comes last: `WeavzConnect.resume()` follows it.
    let order = (0..pending.len()).filter(|i| Some(*i) != hinted).chain(hinted);
    for (index, p) in order.filter_map(|i| Some((i, pending.get(i)?))) {
        let resumed = Rc::new(Resumed {
            handle: OnceCell::new(),
            id: p.id.clone(),
            integration: p.integration.clone(),
            shown_by: p.shown_by,
            state: RefCell::default(),
        });
        let document: Option<EventTarget> = window.document().map(Into::into);
        let weak = Rc::downgrade(&resumed);
        let observer: Observer = Rc::new(move |flow_id: &str, report: Report<'_>| {
            let shown_by = weak.upgrade().and_then(|r| r.state.borrow().shown_by.clone());
            let Some(target) = shown_by.or_else(|| document.clone()) else {
                return;
            };
            events::dispatch_report(&target, flow_id, &report);
            let Some(resumed) = weak.upgrade() else { return };
            let subscribers = {
                let mut s = resumed.state.borrow_mut();
                match &report {
                    Report::Progress(p) => s.last_progress = Some(*p),
                    Report::Finished(o) => s.outcome = Some((*o).clone()),
                    Report::Debug(_) => {}
                }
                if matches!(report, Report::Finished(_)) {
                    std::mem::take(&mut s.subscribers)
                } else {
                    s.subscribers.clone()
                }
            };
            for (_, sub) in subscribers {
                let again = match &report {
                    Report::Progress(p) => Report::Progress(*p),
                    Report::Debug(n) => Report::Debug(n),
                    Report::Finished(o) => Report::Finished(o),
                };
                sub(flow_id, again);
            }
        });
        let hint = if Some(index) == hinted {
            back.hint.clone()
        } else {
            None
        };
        let handle = driver::resume_pending(window, p, hint, observer);
        let _ = resumed.handle.set(handle);
        list.push(resumed);
    }
    RESUMED.with(|r| *r.borrow_mut() = Some(list.clone()));
    list
}
