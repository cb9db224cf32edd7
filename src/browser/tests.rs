//! The browser adapters in a real browser (wasm-bindgen-test, headless Chromium), inside
//! the crate so that the adapters can stay private: `cargo xtask test` runs them, and so
//! does `wasm-pack test --headless --chrome`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::browser::driver::{self, Report, Source, StartOptions};
use crate::browser::http::target_from_url;
use crate::browser::listener::Listener;
use crate::browser::message::read_raw;
use crate::browser::popup::{Popup, features};
use crate::browser::timer::Interval;
use crate::flow::{ErrorCode, Outcome};
use crate::protocol::{Field, Rejection, ResultMessage, parse_result};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

#[wasm_bindgen_test]
fn listener_unregisters_on_drop() {
    let target = web_sys::EventTarget::new().unwrap();
    let count = Rc::new(Cell::new(0));
    let seen = count.clone();
    let listener = Listener::new(&target, "ping", move |_| seen.set(seen.get() + 1)).unwrap();
    let fire = || {
        target
            .dispatch_event(&web_sys::Event::new("ping").unwrap())
            .unwrap();
    };
    fire();
    fire();
    assert_eq!(count.get(), 2);
    drop(listener);
    fire();
    assert_eq!(count.get(), 2, "no calls after drop");
}

#[wasm_bindgen_test]
async fn interval_stops_on_drop() {
    let count = Rc::new(Cell::new(0));
    let seen = count.clone();
    let interval = Interval::new(10, move || seen.set(seen.get() + 1)).unwrap();
    sleep(120).await;
    assert!(count.get() >= 2, "ticked {} times", count.get());
    drop(interval);
    let after = count.get();
    sleep(120).await;
    assert_eq!(count.get(), after, "no ticks after drop");
}

#[wasm_bindgen_test]
async fn popup_opens_centred_and_closes() {
    let w = window();
    let f = features(&w);
    assert!(f.starts_with("popup=yes,width=500,height=600,left="), "{f}");
    // Whole pixels, written as integers (no float formatting in the WASM).
    for key in ["left=", "top="] {
        let value = f
            .split(key)
            .nth(1)
            .and_then(|v| v.split(',').next())
            .unwrap_or("");
        assert!(value.parse::<i32>().is_ok(), "{key} {value:?} in {f}");
    }
    let popup = Popup::open(&w, "weavz-test-popup").expect("the test browser allows popups");
    assert!(!popup.is_closed());
    popup.close();
    for _ in 0..50 {
        if popup.is_closed() {
            break;
        }
        sleep(20).await;
    }
    assert!(popup.is_closed());
}

#[wasm_bindgen_test]
fn message_data_is_read_field_by_field_and_bounded() {
    let ok = object(&[
        ("type", "weavz-connect-result".into()),
        ("status", "success".into()),
        ("connectionId", "c1".into()),
        ("integrationName", "slack".into()),
        ("externalId", "u1".into()),
        ("extra", object(&[("nested", JsValue::TRUE)])),
    ]);
    assert_eq!(
        parse_result(&read_raw(&ok)),
        Ok(ResultMessage::success("c1", "slack", "u1"))
    );

    // A 5 MB string is recognised as too long from its length, read in JavaScript.
    let huge = "x".repeat(5 * 1024 * 1024);
    let big = object(&[
        ("type", "weavz-connect-result".into()),
        ("status", "error".into()),
        ("error", JsValue::from_str(&huge)),
    ]);
    assert_eq!(read_raw(&big).error, Field::TooLong);

    for not_a_record in [
        JsValue::NULL,
        JsValue::from_str("weavz-connect-result"),
        js_sys::Array::new().into(),
    ] {
        assert!(!read_raw(&not_a_record).is_object);
    }
    // Only own data counts: a `__proto__` key carrying the fields is not a result.
    let proto: JsValue =
        js_sys::JSON::parse(r#"{"__proto__":{"type":"weavz-connect-result","status":"error","error":"x"}}"#)
            .unwrap();
    assert_eq!(parse_result(&read_raw(&proto)), Err(Rejection::WrongType));
    // Non-string fields are missing, not coerced.
    let numbers = object(&[("type", 7.into()), ("status", JsValue::TRUE)]);
    assert_eq!(read_raw(&numbers).kind, Field::Missing);
}

#[wasm_bindgen_test]
fn connect_urls_are_checked() {
    let t = target_from_url("https://Platform.Weavz.io:443/connect?token=cst_1", None).unwrap();
    assert_eq!(t.origin, "https://platform.weavz.io");
    assert_eq!(t.token.as_deref(), Some("cst_1"));
    for bad in [
        "/connect?token=x",
        "javascript:alert(1)",
        "data:text/html,x",
        "not a url",
    ] {
        let err = target_from_url(bad, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidOptions, "{bad}");
    }
}

/// A flow in the real browser: messages from the wrong window are reported on the debug
/// stream and change nothing; aborting closes the popup and unregisters everything.
#[wasm_bindgen_test]
async fn driver_rejects_foreign_messages_and_cleans_up_on_abort() {
    let w = window();
    let here = w.location().href().unwrap();
    let target = target_from_url(&here, Some("cst_test".into())).unwrap();
    let reports: Rc<RefCell<Vec<String>>> = Rc::default();
    let seen = reports.clone();
    let observer: driver::Observer = Rc::new(move |_id: &str, report: Report<'_>| {
        seen.borrow_mut().push(match report {
            Report::Progress(p) => p.as_str().to_owned(),
            Report::Debug(n) => n.as_str().to_owned(),
            Report::Finished(Outcome::Connected(_)) => "connected".to_owned(),
            Report::Finished(Outcome::Failed(e)) => e.code.as_str().to_owned(),
        });
    });
    let handle = driver::start(&w, StartOptions::new(Source::Ready(target)), observer);
    assert!(handle.is_running());
    assert_eq!(driver::active_flows(), 1);
    // Well-formed, right origin, but from this window rather than the popup.
    let forged = object(&[
        ("type", "weavz-connect-result".into()),
        ("status", "success".into()),
        ("connectionId", "forged".into()),
        ("integrationName", "slack".into()),
        ("externalId", "u1".into()),
    ]);
    w.post_message(&forged, "*").unwrap();
    sleep(100).await;
    assert!(handle.is_running());
    assert_eq!(
        *reports.borrow(),
        vec!["popup_opened", "connect_page_opened", "rejected_source"]
    );
    // The popup is ours and open; abort closes it and ends the flow once.
    let popup = w
        .open_with_url_and_target("", &format!("weavz-connect-{}", handle.id()))
        .unwrap()
        .unwrap();
    assert!(!popup.closed().unwrap());
    handle.abort();
    handle.abort();
    assert!(!handle.is_running());
    assert_eq!(driver::active_flows(), 0);
    assert_eq!(reports.borrow().last().map(String::as_str), Some("aborted"));
    assert_eq!(reports.borrow().iter().filter(|r| *r == "aborted").count(), 1);
    for _ in 0..50 {
        if popup.closed().unwrap_or(true) {
            break;
        }
        sleep(20).await;
    }
    assert!(popup.closed().unwrap_or(true), "the popup was closed");
    // After the end, messages reach no listener of the flow.
    let before = reports.borrow().len();
    w.post_message(&forged, "*").unwrap();
    sleep(50).await;
    assert_eq!(reports.borrow().len(), before);
}

#[wasm_bindgen_test]
fn an_aborted_signal_never_opens_a_window() {
    let w = window();
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let outcome: Rc<RefCell<Option<String>>> = Rc::default();
    let seen = outcome.clone();
    let observer: driver::Observer = Rc::new(move |_: &str, report: Report<'_>| {
        if let Report::Finished(Outcome::Failed(e)) = report {
            *seen.borrow_mut() = Some(e.code.as_str().to_owned());
        }
    });
    let target = target_from_url("https://connect.example/connect?token=x", None).unwrap();
    let handle = driver::start(
        &w,
        StartOptions {
            close_grace_ms: 0.0,
            signal: Some(controller.signal()),
            ..StartOptions::new(Source::Ready(target))
        },
        observer,
    );
    assert!(!handle.is_running());
    assert_eq!(outcome.borrow().as_deref(), Some("aborted"));
    assert_eq!(driver::active_flows(), 0);
}

/// The accept path in a real browser: the popup (same origin here) posts a result from its
/// own realm, so `event.source` is the popup; the flow connects exactly once.
#[wasm_bindgen_test]
async fn a_result_posted_by_the_popup_itself_connects() {
    let w = window();
    let here = w.location().href().unwrap();
    let outcomes: Rc<RefCell<Vec<String>>> = Rc::default();
    let seen = outcomes.clone();
    let observer: driver::Observer = Rc::new(move |_: &str, report: Report<'_>| {
        if let Report::Finished(outcome) = report {
            seen.borrow_mut().push(match outcome {
                Outcome::Connected(c) => c.connection_id.clone(),
                Outcome::Failed(e) => e.code.as_str().to_owned(),
            });
        }
    });
    let handle = driver::start(
        &w,
        StartOptions::new(Source::Ready(target_from_url(&here, None).unwrap())),
        observer,
    );
    let popup = w
        .open_with_url_and_target("", &format!("weavz-connect-{}", handle.id()))
        .unwrap()
        .unwrap();
    // Wait for the popup to finish loading the page (same origin here), so the message
    // comes from that document and not from the initial about:blank one it replaces.
    for _ in 0..250 {
        let loaded = popup.location().href().ok().as_deref() == Some(here.as_str())
            && popup.document().is_some_and(|d| d.ready_state() == "complete");
        if loaded {
            break;
        }
        sleep(20).await;
    }
    // Run postMessage inside the popup's realm (its own Function constructor).
    let function_ctor: js_sys::Function = js_sys::Reflect::get(&popup, &"Function".into()).unwrap().into();
    let script = "for (let i = 0; i < 2; i++) opener.postMessage({type: 'weavz-connect-result', \
                  status: 'success', connectionId: 'c-real', integrationName: 'slack', externalId: 'u1'}, '*');";
    let post: js_sys::Function =
        js_sys::Reflect::construct(&function_ctor, &js_sys::Array::of1(&script.into()))
            .unwrap()
            .into();
    post.call0(&JsValue::UNDEFINED).unwrap();
    sleep(100).await;
    assert_eq!(
        *outcomes.borrow(),
        vec!["c-real".to_owned()],
        "connected once, from the popup"
    );
    assert!(!handle.is_running());
    assert_eq!(driver::active_flows(), 0);
}

/// Widget events bubble and cross shadow roots, so a document listener sees them.
#[wasm_bindgen_test]
fn events_bubble_out_of_shadow_roots() {
    use wasm_bindgen::JsCast;
    let document = window().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    let shadow = host
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .unwrap();
    let inner = document.create_element("button").unwrap();
    shadow.append_child(&inner).unwrap();
    let got: Rc<RefCell<Option<JsValue>>> = Rc::default();
    let seen = got.clone();
    let _listener = Listener::new(&document, "weavz:connect-error", move |e| {
        let e: &web_sys::CustomEvent = e.unchecked_ref();
        *seen.borrow_mut() = Some(e.detail());
    })
    .unwrap();
    let err = crate::flow::FlowError::new(ErrorCode::PopupBlocked, "blocked");
    crate::browser::events::dispatch(
        &inner,
        crate::browser::events::CONNECT_ERROR,
        &crate::browser::events::error_detail(&err),
    );
    let detail = got.borrow().clone().expect("the document saw the event");
    let code = js_sys::Reflect::get(&detail, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("popup_blocked"));
    host.remove();
}

#[wasm_bindgen_test]
fn redirect_records_survive_in_session_storage_and_return_urls_carry_the_flow() {
    use crate::browser::redirect::{self, Pending};
    let w = window();
    let pending = Pending {
        id: "f00d".into(),
        connect_url: "https://connect.example/connect?token=cst_1".into(),
        token: "cst_1".into(),
        expires_at: Some(1.0e13),
        session_endpoint: "/api/connect-session".into(),
        integration: Some("slack".into()),
        shown_by: Some(crate::browser::ShownBy::Button),
        hash: Some("#settings".into()),
        created: 5.0,
        deadline: None,
    };
    redirect::save(&w, &pending).unwrap();
    // A corrupt record under the prefix is dropped, not trusted.
    let storage = w.session_storage().unwrap().unwrap();
    storage
        .set_item("weavz-connect:pending:bad", "{not json")
        .unwrap();
    assert_eq!(redirect::load_all(&w), vec![pending.clone()]);
    assert!(storage.get_item("weavz-connect:pending:bad").unwrap().is_none());
    assert!(redirect::is_saved(&w, "f00d"));
    let target = pending.target().unwrap();
    assert_eq!(target.token.as_deref(), Some("cst_1"));
    assert_eq!(target.expires_at, Some(1.0e13));

    let back = redirect::return_url(&w, "f00d").unwrap();
    assert!(back.contains("weavz_flow=f00d"), "{back}");
    assert!(!back.contains('#'), "{back}");
    // No result parameters on this page: nothing to read.
    assert_eq!(redirect::read_return(&w).hint, None);

    redirect::remove(&w, "f00d");
    assert!(redirect::load_all(&w).is_empty());
    assert!(!redirect::is_saved(&w, "f00d"));
}
