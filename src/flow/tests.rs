use proptest::prelude::*;

use super::*;
use crate::protocol::{PollResponse, ResultMessage, ResultOutcome, SessionStatus};

const URL: &str = "https://connect.example/connect?token=cst_abc";
const ORIGIN: &str = "https://connect.example";

fn cfg(session: bool) -> FlowConfig {
    FlowConfig {
        confirm_with_session: session,
        ..FlowConfig::default()
    }
}

/// A flow whose popup shows the hosted page.
fn waiting(session: bool) -> Flow {
    let mut f = Flow::new(cfg(session));
    f.handle(0.0, Input::PopupOpened);
    let fx = f.handle(1.0, Input::Target(Target::new(URL).unwrap()));
    assert_eq!(fx[0], Effect::Navigate(URL.into()));
    f
}

fn msg(origin: &str, from_popup: bool, m: ResultMessage) -> Input {
    Input::Message {
        origin: origin.into(),
        from_popup,
        payload: Ok(m),
    }
}

fn poll(status: SessionStatus, id: Option<&str>, error: Option<&str>) -> Input {
    Input::Poll(PollResult::Status(PollResponse {
        status,
        connection_id: id.map(Into::into),
        integration_name: Some("slack".into()),
        external_id: Some("u1".into()),
        error: error.map(Into::into),
        ..PollResponse::default()
    }))
}

fn finished(fx: &[Effect]) -> Option<&Outcome> {
    fx.iter().find_map(|e| match e {
        Effect::Finish(o) => Some(o),
        _ => None,
    })
}

fn code(fx: &[Effect]) -> Option<ErrorCode> {
    match finished(fx)? {
        Outcome::Failed(e) => Some(e.code),
        Outcome::Connected(_) => None,
    }
}

#[test]
fn origins_are_normalised() {
    assert_eq!(
        origin_of("HTTPS://Connect.Example:443/x?y#z").as_deref(),
        Some("https://connect.example")
    );
    assert_eq!(
        origin_of("http://127.0.0.1:8081/connect").as_deref(),
        Some("http://127.0.0.1:8081")
    );
    assert_eq!(origin_of("http://h:080").as_deref(), Some("http://h"));
    assert_eq!(origin_of("http://[::1]:9/").as_deref(), Some("http://[::1]:9"));
    for bad in [
        "/connect?token=x",
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://h/",
        "https://",
        "https://u:p@h/",
        "https://h:99999/",
        "https://h:x/",
        "https:///path",
    ] {
        assert_eq!(origin_of(bad), None, "{bad}");
    }
    let t = Target::new(URL).unwrap();
    assert_eq!(t.origin, ORIGIN);
    assert_eq!(t.token.as_deref(), Some("cst_abc"));
    assert_eq!(Target::new("https://h/connect").unwrap().token, None);
}

#[test]
fn success_message_ends_the_flow_without_a_session_endpoint() {
    let mut f = waiting(false);
    let fx = f.handle(
        2.0,
        msg(ORIGIN, true, ResultMessage::success("c1", "slack", "u1")),
    );
    assert!(fx.contains(&Effect::ClosePopup));
    match finished(&fx) {
        Some(Outcome::Connected(c)) => {
            assert_eq!((c.connection_id.as_str(), c.session.as_ref()), ("c1", None));
        }
        other => panic!("{other:?}"),
    }
    assert!(f.is_done());
    assert_eq!(
        f.handle(
            3.0,
            msg(ORIGIN, true, ResultMessage::success("c2", "slack", "u1"))
        ),
        vec![Effect::Debug(Note::AfterEnd)]
    );
}

#[test]
fn forged_and_malformed_messages_are_ignored() {
    let mut f = waiting(false);
    let ok = ResultMessage::success("forged", "slack", "u1");
    for (i, (input, note)) in [
        (
            msg("https://connect.example.evil", true, ok.clone()),
            "rejected_origin",
        ),
        (msg("http://connect.example", true, ok.clone()), "rejected_origin"),
        (
            msg("https://connect.example:8443", true, ok.clone()),
            "rejected_origin",
        ),
        (msg("null", true, ok.clone()), "rejected_origin"),
        (msg(ORIGIN, false, ok.clone()), "rejected_source"),
        (
            Input::Message {
                origin: ORIGIN.into(),
                from_popup: true,
                payload: Err(crate::protocol::Rejection::WrongType),
            },
            "rejected_shape",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        // One rejection note a second at most: these are a second apart.
        let fx = f.handle(2.0 + 1000.0 * i as f64, input);
        assert!(
            matches!(&fx[..], [Effect::Debug(n)] if n.as_str() == note),
            "{fx:?}"
        );
    }
    assert!(!f.is_done());
    // Before the target is known, nothing is accepted.
    let mut early = Flow::new(cfg(false));
    early.handle(0.0, Input::PopupOpened);
    assert_eq!(
        early.handle(1.0, msg(ORIGIN, true, ok)),
        vec![Effect::Debug(Note::RejectedEarly)]
    );
}

#[test]
fn error_message_fails_with_its_text() {
    let mut f = waiting(false);
    let fx = f.handle(
        2.0,
        msg(ORIGIN, true, ResultMessage::error("Access was denied at GitHub.")),
    );
    match finished(&fx) {
        Some(Outcome::Failed(e)) => {
            assert_eq!(e.code, ErrorCode::ConnectFailed);
            assert_eq!(e.message, "Access was denied at GitHub.");
            assert!(e.retryable);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn with_a_session_endpoint_the_poll_decides() {
    let mut f = waiting(true);
    let fx = f.handle(
        2.0,
        msg(ORIGIN, true, ResultMessage::success("claimed", "slack", "u1")),
    );
    assert!(fx.contains(&Effect::Poll("cst_abc".into())));
    assert!(finished(&fx).is_none(), "a message alone proves nothing");
    // Still connecting: keep polling on the next tick after the interval.
    let fx = f.handle(3.0, poll(SessionStatus::Connecting, None, None));
    assert!(fx.is_empty());
    assert!(f.handle(500.0, Input::Tick).is_empty());
    assert_eq!(
        f.handle(1003.0, Input::Tick),
        vec![Effect::Poll("cst_abc".into())]
    );
    let fx = f.handle(1004.0, poll(SessionStatus::Completed, Some("real"), None));
    match finished(&fx) {
        Some(Outcome::Connected(c)) => {
            assert_eq!(
                c.connection_id, "real",
                "the session's id wins over the message's"
            );
            assert_eq!(c.session.as_ref().unwrap().status, SessionStatus::Completed);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn session_failure_and_expiry() {
    let mut f = waiting(true);
    f.handle(2.0, msg(ORIGIN, true, ResultMessage::error("denied")));
    let fx = f.handle(
        3.0,
        poll(SessionStatus::Failed, None, Some("Access was denied at Slack.")),
    );
    match finished(&fx) {
        Some(Outcome::Failed(e)) => assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::ConnectFailed, "Access was denied at Slack.")
        ),
        other => panic!("{other:?}"),
    }
    // A success message the session could not confirm: the connection may exist.
    let mut f = waiting(true);
    f.handle(2.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    assert_eq!(
        code(&f.handle(3.0, Input::Poll(PollResult::InvalidToken))),
        Some(ErrorCode::Unconfirmed)
    );
    // Without one, an unknown token is an expired session.
    let mut f = waiting(true);
    f.handle(2.0, msg(ORIGIN, true, ResultMessage::error("denied")));
    assert_eq!(
        code(&f.handle(3.0, Input::Poll(PollResult::InvalidToken))),
        Some(ErrorCode::SessionExpired)
    );
    let mut f = waiting(true);
    f.handle(2.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    let fx = f.handle(3.0, Input::Poll(PollResult::Fatal("HTTP 404".into())));
    match finished(&fx) {
        Some(Outcome::Failed(e)) => assert_eq!((e.code, e.retryable), (ErrorCode::Network, false)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn poll_retries_back_off_and_honour_retry_after() {
    let mut f = waiting(true);
    f.handle(0.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    let retry = |after| {
        Input::Poll(PollResult::Retry {
            reason: "HTTP 503".into(),
            retry_after_ms: after,
        })
    };
    let fx = f.handle(10.0, retry(Some(5000.0)));
    assert!(matches!(&fx[..], [Effect::Debug(Note::PollRetry(_))]));
    assert!(
        f.handle(5009.0, Input::Tick).is_empty(),
        "Retry-After is honoured"
    );
    assert_eq!(
        f.handle(5010.0, Input::Tick),
        vec![Effect::Poll("cst_abc".into())]
    );
    // Second failure: a random share of 2 s (1 s × 2¹, full jitter).
    f.handle(5020.0, retry(None));
    let mut at = 5020.0;
    let mut fx = Vec::new();
    while fx.is_empty() {
        at += 10.0;
        assert!(at <= 7020.0, "the retry waits at most the backoff");
        fx = f.handle(at, Input::Tick);
    }
    assert_eq!(fx, vec![Effect::Poll("cst_abc".into())]);
    let fx = f.handle(at + 10.0, poll(SessionStatus::Completed, Some("c"), None));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(_))));
}

#[test]
fn closing_the_popup_cancels_after_the_grace_period() {
    let mut f = waiting(false);
    let fx = f.handle(100.0, Input::PopupClosed);
    assert_eq!(fx, vec![Effect::Progress(Progress::PopupClosed)]);
    assert!(f.handle(150.0, Input::OpenerFocused).is_empty());
    assert!(finished(&f.handle(3099.0, Input::Tick)).is_none());
    let fx = f.handle(3100.0, Input::Tick);
    assert_eq!(code(&fx), Some(ErrorCode::UserCancelled));
    assert!(!fx.contains(&Effect::ClosePopup), "already closed");
}

#[test]
fn a_late_message_within_the_grace_period_wins() {
    let mut f = waiting(false);
    f.handle(100.0, Input::PopupClosed);
    let fx = f.handle(
        2000.0,
        msg(ORIGIN, true, ResultMessage::success("late", "slack", "u1")),
    );
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.connection_id == "late"));
}

#[test]
fn a_closed_popup_is_checked_with_the_session() {
    // The backend completed, then the popup closed before posting (security bar 17b).
    let mut f = waiting(true);
    let fx = f.handle(100.0, Input::PopupClosed);
    assert!(fx.contains(&Effect::Poll("cst_abc".into())));
    let fx = f.handle(150.0, poll(SessionStatus::Completed, Some("c9"), None));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.connection_id == "c9"));

    // Still connecting after the grace period: the window may only be cut off (COOP), so the
    // flow detaches and keeps polling, with backoff, until the session ends.
    let mut f = waiting(true);
    f.handle(100.0, Input::PopupClosed);
    f.handle(150.0, poll(SessionStatus::Connecting, None, None));
    assert!(f.handle(1100.0, Input::Tick).is_empty());
    assert_eq!(
        f.handle(1150.0, Input::Tick),
        vec![Effect::Poll("cst_abc".into())]
    );
    f.handle(1160.0, poll(SessionStatus::Connecting, None, None));
    let fx = f.handle(3100.0, Input::Tick);
    assert!(fx.contains(&Effect::Progress(Progress::WindowDetached)), "{fx:?}");
    assert!(finished(&fx).is_none(), "no false cancel");
    assert!(fx.contains(&Effect::Poll("cst_abc".into())));
    f.handle(3100.0, poll(SessionStatus::Connecting, None, None));
    let mut t = 3100.0;
    let mut polls = vec![3100.0];
    while t < 60_000.0 {
        t += 250.0;
        for e in f.handle(t, Input::Tick) {
            if let Effect::Poll(_) = e {
                polls.push(t);
                f.handle(t, poll(SessionStatus::Connecting, None, None));
            }
        }
    }
    let gaps: Vec<f64> = polls.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() >= 6, "kept polling: {polls:?}");
    assert!(
        gaps.windows(2).all(|g| g[1] >= g[0]),
        "non-decreasing poll gaps: {gaps:?}"
    );
    assert!(gaps.iter().all(|g| *g <= 8250.0), "capped: {gaps:?}");
    assert!(!f.is_done());
    // The user approves in the window we could not see: success, once.
    let fx = f.handle(t + 10_000.0, Input::Tick);
    assert!(fx.contains(&Effect::Poll("cst_abc".into())));
    let fx = f.handle(t + 10_001.0, poll(SessionStatus::Completed, Some("c-late"), None));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.connection_id == "c-late"));
}

#[test]
fn a_detached_flow_ends_by_cancel_or_reopens() {
    let mut f = waiting(true);
    f.handle(0.0, Input::PopupClosed);
    f.handle(10.0, poll(SessionStatus::Connecting, None, None));
    f.handle(3000.0, Input::Tick);
    // Reopening attaches a new window; closing that one detaches again.
    let fx = f.handle(4000.0, Input::PopupReopened);
    assert_eq!(fx, vec![Effect::Progress(Progress::PopupOpened)]);
    f.handle(5000.0, Input::PopupClosed);
    let fx = f.handle(5001.0, Input::Cancel);
    assert_eq!(code(&fx), Some(ErrorCode::UserCancelled));
}

#[test]
fn without_a_session_endpoint_a_closed_window_is_a_cancel() {
    let mut f = waiting(false);
    f.handle(10.0, Input::PopupClosed);
    f.handle(500.0, Input::OpenerFocused);
    assert!(finished(&f.handle(3009.0, Input::Tick)).is_none());
    assert_eq!(
        code(&f.handle(3010.0, Input::Tick)),
        Some(ErrorCode::UserCancelled)
    );
}

#[test]
fn the_focus_is_waited_for_even_with_no_grace_period() {
    let mut f = Flow::new(FlowConfig {
        close_grace_ms: 0.0,
        ..cfg(false)
    });
    f.handle(0.0, Input::PopupOpened);
    f.handle(1.0, Input::Target(target()));
    f.handle(10.0, Input::PopupClosed);
    assert!(
        finished(&f.handle(260.0, Input::Tick)).is_none(),
        "not decided before the focus can return"
    );
    f.handle(300.0, Input::OpenerFocused);
    assert_eq!(
        code(&f.handle(310.0, Input::Tick)),
        Some(ErrorCode::UserCancelled)
    );
    let mut f = Flow::new(FlowConfig {
        close_grace_ms: 0.0,
        ..cfg(false)
    });
    f.handle(0.0, Input::PopupOpened);
    f.handle(1.0, Input::Target(target()));
    f.handle(10.0, Input::PopupClosed);
    assert!(finished(&f.handle(500.0, Input::Tick)).is_none());
    assert_eq!(
        code(&f.handle(10.0 + LOST_DECISION_MS, Input::Tick)),
        Some(ErrorCode::WindowLost)
    );
}

#[test]
fn without_a_session_endpoint_a_window_that_kept_the_focus_is_lost_not_cancelled() {
    let mut f = waiting(false);
    // Focus before the close does not count: only a window closed by the user gives it back.
    f.handle(5.0, Input::OpenerFocused);
    f.handle(10.0, Input::PopupClosed);
    let fx = f.handle(3010.0, Input::Tick);
    assert!(matches!(finished(&fx), Some(Outcome::Failed(e))
        if e.code == ErrorCode::WindowLost && e.retryable && e.message.contains("reload")));
    // Focus seen before a reopen does not count for the new window.
    let mut f = waiting(false);
    f.handle(10.0, Input::PopupClosed);
    f.handle(20.0, Input::OpenerFocused);
    f.handle(30.0, Input::PopupReopened);
    f.handle(40.0, Input::PopupClosed);
    assert_eq!(code(&f.handle(3040.0, Input::Tick)), Some(ErrorCode::WindowLost));
}

#[test]
fn an_unconfirmed_claim_is_dropped_and_the_flow_goes_on() {
    let mut f = waiting(true);
    f.handle(
        0.0,
        msg(ORIGIN, true, ResultMessage::success("forged", "slack", "u1")),
    );
    f.handle(1.0, poll(SessionStatus::Connecting, None, None));
    let mut t = 1.0;
    let mut notes = Vec::new();
    while t < 16_000.0 {
        t += 250.0;
        for e in f.handle(t, Input::Tick) {
            match e {
                Effect::Poll(_) => {
                    f.handle(t, poll(SessionStatus::Connecting, None, None));
                }
                Effect::Debug(n) => notes.push(n),
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(notes, vec![Note::NotConfirmed]);
    assert!(!f.is_done());
    // The real result still gets through.
    let fx = f.handle(
        t,
        msg(ORIGIN, true, ResultMessage::success("real", "slack", "u1")),
    );
    assert!(fx.contains(&Effect::Poll("cst_abc".into())));
    let fx = f.handle(t + 1.0, poll(SessionStatus::Completed, Some("real"), None));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.connection_id == "real"));
}

#[test]
fn blocked_aborted_and_failed_preparation() {
    let mut f = Flow::new(cfg(false));
    assert_eq!(
        code(&f.handle(0.0, Input::PopupBlocked)),
        Some(ErrorCode::PopupBlocked)
    );

    let mut f = waiting(true);
    let fx = f.handle(5.0, Input::Abort);
    assert_eq!(fx.first(), Some(&Effect::ClosePopup));
    assert_eq!(code(&fx), Some(ErrorCode::Aborted));
    assert!(f.handle(6.0, Input::Tick).is_empty());

    let mut f = Flow::new(cfg(false));
    f.handle(0.0, Input::PopupOpened);
    let fx = f.handle(
        1.0,
        Input::TargetFailed(FlowError::new(ErrorCode::Network, "offline")),
    );
    assert!(fx.contains(&Effect::ClosePopup));
    assert_eq!(code(&fx), Some(ErrorCode::Network));

    // The user closed the blank popup before the connect URL arrived.
    let mut f = Flow::new(cfg(false));
    f.handle(0.0, Input::PopupOpened);
    assert_eq!(
        code(&f.handle(1.0, Input::PopupClosed)),
        Some(ErrorCode::UserCancelled)
    );
    assert!(f.handle(2.0, Input::Target(Target::new(URL).unwrap())).is_empty());
}

#[test]
fn a_session_endpoint_without_a_token_is_refused() {
    let mut f = Flow::new(cfg(true));
    f.handle(0.0, Input::PopupOpened);
    let fx = f.handle(
        1.0,
        Input::Target(Target::new("https://connect.example/connect").unwrap()),
    );
    assert!(fx.contains(&Effect::ClosePopup));
    assert_eq!(code(&fx), Some(ErrorCode::InvalidOptions));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Navigate(_))),
        "the popup never shows the page"
    );
}

#[test]
fn an_expired_token_ends_the_flow() {
    let mut f = Flow::new(cfg(false));
    f.handle(0.0, Input::PopupOpened);
    let mut target = Target::new(URL).unwrap();
    target.expires_at = Some(10_000.0);
    f.handle(1.0, Input::Target(target));
    assert!(f.handle(9_999.0, Input::Tick).is_empty());
    let fx = f.handle(10_000.0, Input::Tick);
    assert!(fx.contains(&Effect::ClosePopup));
    match finished(&fx) {
        Some(Outcome::Failed(e)) => assert_eq!((e.code, e.retryable), (ErrorCode::SessionExpired, true)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_total_deadline_ends_the_flow_with_timeout() {
    let mut f = Flow::new(FlowConfig {
        timeout_ms: Some(60_000.0),
        ..cfg(true)
    });
    f.handle(1_000.0, Input::PopupOpened);
    f.handle(2_000.0, Input::Target(Target::new(URL).unwrap()));
    assert!(finished(&f.handle(60_999.0, Input::Tick)).is_none());
    assert_eq!(code(&f.handle(61_000.0, Input::Tick)), Some(ErrorCode::Timeout));
}

#[test]
fn offline_pauses_polls_until_online() {
    let mut f = waiting(true);
    f.handle(0.0, Input::Offline);
    let fx = f.handle(
        10.0,
        msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")),
    );
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Poll(_))),
        "no poll while offline"
    );
    for t in [1_000.0, 5_000.0, 30_000.0] {
        assert!(
            !f.handle(t, Input::Tick)
                .iter()
                .any(|e| matches!(e, Effect::Poll(_)))
        );
    }
    // Back online: the confirmation window may have passed, but a closed window still polls.
    let fx = f.handle(30_001.0, Input::PopupClosed);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Poll(_))));
    let fx = f.handle(30_002.0, Input::Online);
    assert_eq!(fx, vec![Effect::Poll("cst_abc".into())]);
}

#[test]
fn duplicates_while_confirming_are_noted() {
    let mut f = waiting(true);
    f.handle(0.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    let fx = f.handle(1.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    assert_eq!(fx, vec![Effect::Debug(Note::Duplicate)]);
}

#[test]
fn a_portal_token_is_not_polled_its_checked_message_is_the_outcome() {
    let portal = "https://connect.example/connect/portal?token=eut_123";
    let mut f = Flow::new(cfg(true));
    f.handle(0.0, Input::PopupOpened);
    let fx = f.handle(1.0, Input::Target(Target::new(portal).unwrap()));
    assert_eq!(fx[0], Effect::Navigate(portal.into()));
    let mut m = ResultMessage::success("c-portal", "slack", "user_456:slack");
    if let ResultOutcome::Success { end_user_id, .. } = &mut m.outcome {
        *end_user_id = Some("user_456".into());
    }
    // A forged one from another origin still counts for nothing.
    let fx = f.handle(2.0, msg("https://evil.example", true, m.clone()));
    assert!(finished(&fx).is_none());
    let fx = f.handle(3.0, msg(ORIGIN, true, m));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Poll(_))));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c))
        if c.connection_id == "c-portal" && c.end_user_id.as_deref() == Some("user_456")));
    // Redirect mode cannot confirm a portal: refused before leaving.
    let mut f = Flow::new(FlowConfig {
        redirect: true,
        ..cfg(true)
    });
    let fx = f.handle(0.0, Input::Target(Target::new(portal).unwrap()));
    assert_eq!(code(&fx), Some(ErrorCode::InvalidOptions));
}

// ---- redirect mode -----------------------------------------------------------------

fn redirect_cfg(session: bool) -> FlowConfig {
    FlowConfig {
        redirect: true,
        ..cfg(session)
    }
}

fn target() -> Target {
    Target::new(URL).unwrap()
}

#[test]
fn redirect_mode_saves_and_leaves_instead_of_navigating_a_popup() {
    let mut f = Flow::new(redirect_cfg(true));
    let fx = f.handle(0.0, Input::Target(target()));
    assert_eq!(
        fx,
        vec![
            Effect::Progress(Progress::Redirecting),
            Effect::Redirect(target())
        ]
    );
    assert!(f.is_windowless());
    // Popup inputs cannot be about a windowless flow.
    assert!(f.handle(1.0, Input::PopupClosed).is_empty());
    assert!(
        f.handle(5000.0, Input::Tick)
            .iter()
            .all(|e| !matches!(e, Effect::Finish(_)))
    );
}

#[test]
fn redirect_mode_without_a_session_is_invalid_options() {
    let mut f = Flow::new(redirect_cfg(false));
    let fx = f.handle(0.0, Input::Target(target()));
    assert_eq!(code(&fx), Some(ErrorCode::InvalidOptions));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Redirect(_))));
}

#[test]
fn a_leaving_page_never_polls_but_a_restored_one_asks_the_session() {
    let mut f = Flow::new(redirect_cfg(true));
    f.handle(0.0, Input::Target(target()));
    // While the page leaves, an answer could only end the flow for nothing.
    for t in 1..40 {
        assert!(f.handle(f64::from(t) * 250.0, Input::Tick).is_empty());
    }
    // Back to a page kept in the back/forward cache: the same flow asks the session.
    let fx = f.handle(10_000.0, Input::PageRestored { pending: true });
    assert_eq!(
        fx,
        vec![
            Effect::Progress(Progress::Resumed),
            Effect::Poll("cst_abc".into())
        ]
    );
    // Still open (Back from the connect page): the user may continue or cancel.
    let fx = f.handle(10_100.0, poll(SessionStatus::Pending, None, None));
    assert_eq!(fx, vec![Effect::Progress(Progress::Interrupted)]);
    let fx = f.handle(10_200.0, Input::Cancel);
    assert_eq!(code(&fx), Some(ErrorCode::UserCancelled));
}

#[test]
fn a_page_restored_after_another_page_finished_the_flow_stops_without_an_outcome() {
    let mut f = Flow::new(redirect_cfg(true));
    f.handle(0.0, Input::Target(target()));
    let fx = f.handle(500.0, Input::PageRestored { pending: false });
    assert_eq!(
        fx,
        vec![Effect::Progress(Progress::HandledElsewhere), Effect::Release]
    );
    assert!(f.is_done());
    // Still pending: it says so and asks the session at once.
    let mut f = Flow::new(redirect_cfg(true));
    f.handle(0.0, Input::Target(target()));
    let fx = f.handle(500.0, Input::PageRestored { pending: true });
    assert_eq!(
        fx,
        vec![
            Effect::Progress(Progress::Resumed),
            Effect::Poll("cst_abc".into())
        ]
    );
    // A popup flow ignores it.
    let mut f = waiting(true);
    assert!(f.handle(5.0, Input::PageRestored { pending: false }).is_empty());
}

/// Ticks (every 250 ms from `now`) until the flow polls; returns that time.
fn tick_until_poll(f: &mut Flow, mut now: f64) -> f64 {
    while !f
        .handle(now, Input::Tick)
        .contains(&Effect::Poll("cst_abc".into()))
    {
        now += 250.0;
        assert!(now < 120_000.0, "no poll");
    }
    now
}

#[test]
fn a_restored_page_whose_session_ended_while_it_was_away_stops_without_an_outcome() {
    // Its saved record still looks pending (Firefox restores the page with the storage it
    // had when it left), but the session ended meanwhile: the return page reported it.
    for status in [SessionStatus::Completed, SessionStatus::Failed] {
        let mut f = Flow::new(redirect_cfg(true));
        f.handle(0.0, Input::Target(target()));
        let fx = f.handle(500.0, Input::PageRestored { pending: true });
        assert!(fx.contains(&Effect::Poll("cst_abc".into())));
        let fx = f.handle(510.0, poll(status, Some("c9"), Some("denied")));
        assert_eq!(
            fx,
            vec![Effect::Progress(Progress::HandledElsewhere), Effect::Release]
        );
        assert!(f.is_done());
    }
    // Still open when it comes back: the user went Back from the connect page. What ends
    // after that happens while the page is here, and is its to report.
    let mut f = Flow::new(redirect_cfg(true));
    f.handle(0.0, Input::Target(target()));
    f.handle(500.0, Input::PageRestored { pending: true });
    let fx = f.handle(510.0, poll(SessionStatus::Connecting, None, None));
    assert_eq!(fx, vec![Effect::Progress(Progress::Interrupted)]);
    let mut now = 510.0;
    now = tick_until_poll(&mut f, now);
    let fx = f.handle(now, poll(SessionStatus::Completed, Some("c9"), None));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.connection_id == "c9"));
    // A failed poll is no answer: the first real one still decides.
    let mut f = Flow::new(redirect_cfg(true));
    f.handle(0.0, Input::Target(target()));
    f.handle(500.0, Input::PageRestored { pending: true });
    f.handle(
        510.0,
        Input::Poll(PollResult::Retry {
            reason: "HTTP 503".into(),
            retry_after_ms: None,
        }),
    );
    let mut now = 510.0;
    now = tick_until_poll(&mut f, now);
    let fx = f.handle(now, poll(SessionStatus::Completed, Some("c9"), None));
    assert_eq!(
        fx,
        vec![Effect::Progress(Progress::HandledElsewhere), Effect::Release]
    );
}

#[test]
fn resumed_with_a_success_hint_confirms_through_the_session() {
    let mut f = Flow::new(redirect_cfg(true));
    let hint = ResultMessage::success("claimed", "slack", "u1").outcome;
    let fx = f.handle(
        0.0,
        Input::Resumed {
            target: target(),
            hint: Some(hint),
        },
    );
    assert_eq!(
        fx,
        vec![
            Effect::Progress(Progress::Resumed),
            Effect::Progress(Progress::Confirming),
            Effect::Poll("cst_abc".into())
        ]
    );
    // The hint alone never connects; the session's id wins.
    let fx = f.handle(10.0, poll(SessionStatus::Completed, Some("real"), None));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.connection_id == "real"));
}

#[test]
fn resumed_without_a_hint_waits_for_the_session_with_backoff_until_it_expires() {
    let mut f = Flow::new(redirect_cfg(true));
    let mut t = target();
    t.expires_at = Some(60_000.0);
    let fx = f.handle(
        0.0,
        Input::Resumed {
            target: t,
            hint: None,
        },
    );
    assert_eq!(
        fx,
        vec![
            Effect::Progress(Progress::Resumed),
            Effect::Poll("cst_abc".into())
        ]
    );
    let mut now = 0.0;
    let mut gaps = Vec::new();
    let mut last_poll = 0.0;
    // The first open answer says the flow is interrupted (once).
    let fx = f.handle(now, poll(SessionStatus::Pending, None, None));
    assert_eq!(fx, vec![Effect::Progress(Progress::Interrupted)]);
    while now < 59_000.0 {
        now += 250.0;
        let fx = f.handle(now, Input::Tick);
        assert!(finished(&fx).is_none());
        if fx.contains(&Effect::Poll("cst_abc".into())) {
            gaps.push(now - last_poll);
            last_poll = now;
            f.handle(now, poll(SessionStatus::Connecting, None, None));
        }
    }
    assert!(gaps.len() >= 5, "{gaps:?}");
    assert!(gaps.windows(2).all(|w| w[1] >= w[0]), "backoff grows: {gaps:?}");
    assert!(gaps.iter().all(|g| *g <= 8250.0), "{gaps:?}");
    let fx = f.handle(60_000.0, Input::Tick);
    assert_eq!(code(&fx), Some(ErrorCode::SessionExpired));
}

#[test]
fn a_success_hint_the_open_session_contradicts_shows_the_session_state_and_never_connects() {
    // A forged (or stale) return URL: `weavz_status=success`, while the session is open.
    let mut f = Flow::new(redirect_cfg(true));
    let hint = ResultMessage::success("forged", "slack", "u1").outcome;
    f.handle(
        0.0,
        Input::Resumed {
            target: target(),
            hint: Some(hint),
        },
    );
    let fx = f.handle(10.0, poll(SessionStatus::Connecting, None, None));
    assert_eq!(fx, vec![Effect::Progress(Progress::Interrupted)]);
    let mut now = 10.0;
    while now < 60_000.0 {
        now += 250.0;
        let fx = f.handle(now, Input::Tick);
        assert!(finished(&fx).is_none(), "{fx:?}");
        if fx.contains(&Effect::Poll("cst_abc".into())) {
            let fx = f.handle(now, poll(SessionStatus::Pending, None, None));
            assert!(
                !fx.contains(&Effect::Progress(Progress::Interrupted)),
                "said once"
            );
        }
    }
    // The user finishes elsewhere (Continue): the next answer gives the session's
    // connection, not the URL's.
    while !f
        .handle(now, Input::Tick)
        .contains(&Effect::Poll("cst_abc".into()))
    {
        now += 250.0;
    }
    let fx = f.handle(now + 1.0, poll(SessionStatus::Completed, Some("real"), None));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.connection_id == "real"));
}

#[test]
fn a_failed_session_decides_whatever_the_resumed_hint_claimed() {
    // A forged success and a real error alike: the session's failure is the outcome.
    for hint in [
        ResultMessage::success("forged", "slack", "u1").outcome,
        ResultMessage::error("Access denied").outcome,
    ] {
        let mut f = Flow::new(redirect_cfg(true));
        f.handle(
            0.0,
            Input::Resumed {
                target: target(),
                hint: Some(hint),
            },
        );
        let fx = f.handle(
            10.0,
            poll(SessionStatus::Failed, None, Some("Access was denied.")),
        );
        assert!(matches!(finished(&fx), Some(Outcome::Failed(e))
            if e.code == ErrorCode::ConnectFailed && e.message == "Access was denied."));
    }
}

#[test]
fn resumed_is_only_a_first_input_and_needs_a_token() {
    let mut f = waiting(true);
    assert!(
        f.handle(
            5.0,
            Input::Resumed {
                target: target(),
                hint: None
            }
        )
        .is_empty()
    );
    let mut f = Flow::new(redirect_cfg(true));
    let fx = f.handle(
        0.0,
        Input::Resumed {
            target: Target::new("https://connect.example/connect").unwrap(),
            hint: None,
        },
    );
    assert_eq!(code(&fx), Some(ErrorCode::InvalidOptions));
}

#[test]
fn a_resumed_flow_can_be_cancelled_and_ignores_forged_messages() {
    let mut f = Flow::new(redirect_cfg(true));
    f.handle(
        0.0,
        Input::Resumed {
            target: target(),
            hint: None,
        },
    );
    // No window of ours: even a right-origin message is not from "our popup".
    let fx = f.handle(
        1.0,
        msg(ORIGIN, false, ResultMessage::success("x", "slack", "u1")),
    );
    assert_eq!(fx, vec![Effect::Debug(Note::RejectedSource)]);
    let fx = f.handle(2.0, Input::Cancel);
    assert_eq!(code(&fx), Some(ErrorCode::UserCancelled));
    assert!(!fx.contains(&Effect::ClosePopup));
}

// ---- property tests ----------------------------------------------------------------

#[derive(Debug, Clone)]
enum Step {
    Opened,
    Blocked,
    Target {
        with_token: bool,
    },
    TargetFailed,
    Message {
        right_origin: bool,
        from_popup: bool,
        kind: u8,
    },
    Closed,
    Poll(u8),
    Tick,
    Cancel,
    Reopened,
    Offline,
    Online,
    Abort,
    Resumed {
        with_token: bool,
        hint: u8,
    },
    Restored(bool),
    Focused,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Opened),
        1 => Just(Step::Blocked),
        3 => any::<bool>().prop_map(|with_token| Step::Target { with_token }),
        1 => Just(Step::TargetFailed),
        6 => (any::<bool>(), any::<bool>(), 0u8..3)
            .prop_map(|(right_origin, from_popup, kind)| Step::Message { right_origin, from_popup, kind }),
        2 => Just(Step::Closed),
        4 => (0u8..7).prop_map(Step::Poll),
        6 => Just(Step::Tick),
        1 => Just(Step::Cancel),
        1 => Just(Step::Reopened),
        1 => Just(Step::Offline),
        1 => Just(Step::Online),
        1 => Just(Step::Abort),
        1 => (any::<bool>(), 0u8..3).prop_map(|(with_token, hint)| Step::Resumed { with_token, hint }),
        1 => any::<bool>().prop_map(Step::Restored),
        1 => Just(Step::Focused),
    ]
}

fn to_input(s: &Step) -> Input {
    match s {
        Step::Opened => Input::PopupOpened,
        Step::Blocked => Input::PopupBlocked,
        Step::Target { with_token } => Input::Target(
            Target::new(if *with_token {
                URL
            } else {
                "https://connect.example/connect"
            })
            .unwrap(),
        ),
        Step::TargetFailed => Input::TargetFailed(FlowError::new(ErrorCode::Network, "x")),
        Step::Message {
            right_origin,
            from_popup,
            kind,
        } => Input::Message {
            origin: if *right_origin {
                ORIGIN
            } else {
                "https://evil.example"
            }
            .into(),
            from_popup: *from_popup,
            payload: match kind {
                0 => Ok(ResultMessage::success("msg", "slack", "u1")),
                1 => Ok(ResultMessage::error("denied")),
                _ => Err(crate::protocol::Rejection::WrongType),
            },
        },
        Step::Closed => Input::PopupClosed,
        Step::Poll(k) => match k {
            0 => poll(SessionStatus::Completed, Some("polled"), None),
            1 => poll(SessionStatus::Completed, None, None),
            2 => poll(SessionStatus::Failed, None, Some("nope")),
            3 => poll(SessionStatus::Connecting, None, None),
            4 => Input::Poll(PollResult::InvalidToken),
            5 => Input::Poll(PollResult::Retry {
                reason: "503".into(),
                retry_after_ms: Some(1000.0),
            }),
            _ => Input::Poll(PollResult::Fatal("404".into())),
        },
        Step::Tick => Input::Tick,
        Step::Cancel => Input::Cancel,
        Step::Reopened => Input::PopupReopened,
        Step::Offline => Input::Offline,
        Step::Online => Input::Online,
        Step::Abort => Input::Abort,
        Step::Restored(pending) => Input::PageRestored { pending: *pending },
        Step::Focused => Input::OpenerFocused,
        Step::Resumed { with_token, hint } => Input::Resumed {
            target: Target::new(if *with_token {
                URL
            } else {
                "https://connect.example/connect"
            })
            .unwrap(),
            hint: match hint {
                0 => None,
                1 => Some(ResultMessage::success("hint", "slack", "u1").outcome),
                _ => Some(ResultMessage::error("hinted error").outcome),
            },
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn exactly_one_outcome_and_only_for_authentic_input(
        session in any::<bool>(),
        redirect in any::<bool>(),
        timeout in prop::option::of(1000.0f64..60_000.0),
        steps in prop::collection::vec((0u16..2000, step()), 0..60),
    ) {
        let mut f = Flow::new(FlowConfig { timeout_ms: timeout, redirect, ..cfg(session) });
        let mut now = 0.0;
        let mut finishes = 0;
        let mut polls_outstanding = 0i32;
        for (dt, s) in &steps {
            now += f64::from(*dt);
            let input = to_input(s);
            let was_done = f.is_done();
            let fx = f.handle(now, input.clone());
            if was_done {
                prop_assert!(fx.iter().all(|e| *e == Effect::Debug(Note::AfterEnd)), "{fx:?}");
                continue;
            }
            if matches!(input, Input::Poll(_)) {
                polls_outstanding = 0;
            }
            for e in &fx {
                match e {
                    Effect::AbortPoll => {
                        prop_assert_eq!(polls_outstanding, 1, "only a poll in flight is aborted");
                        polls_outstanding = 0;
                    }
                    Effect::Poll(token) => {
                        prop_assert!(session, "polls only with a session endpoint");
                        prop_assert_eq!(token, "cst_abc");
                        polls_outstanding += 1;
                        prop_assert!(polls_outstanding <= 1, "never two polls in flight");
                    }
                    Effect::Redirect(t) => {
                        prop_assert!(redirect && session, "redirects only in redirect mode, with a session");
                        prop_assert_eq!(t.token.as_deref(), Some("cst_abc"));
                    }
                    Effect::Navigate(_) => prop_assert!(!redirect && !f.is_windowless()),
                    Effect::Release => {
                        // Ends this page's copy; the outcome was reported by another page.
                        // (Or the first answer after a restore: the session ended while the
                        // page was away.)
                        prop_assert!(matches!(s, Step::Restored(false) | Step::Poll(_)) && f.is_windowless(), "{s:?}");
                        finishes += 1;
                    }
                    Effect::Finish(outcome) => {
                        finishes += 1;
                        if let Outcome::Connected(c) = outcome {
                            prop_assert_eq!(c.confirmed, c.session.is_some());
                            if session || f.is_windowless() {
                                // Only a completed session with an id connects; with a
                                // session endpoint a message alone never does.
                                prop_assert!(matches!(s, Step::Poll(0)), "{s:?}");
                                prop_assert_eq!(&c.connection_id, "polled");
                            } else {
                                prop_assert!(
                                    matches!(s, Step::Message { right_origin: true, from_popup: true, kind: 0 }),
                                    "{s:?}"
                                );
                                prop_assert_eq!(&c.connection_id, "msg");
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        prop_assert!(finishes <= 1);
        // Liveness: without a session endpoint a closed popup ends the flow by the end of
        // the grace period; with one, the flow waits for the session, and the user's Cancel
        // always ends it.
        let mut fx = f.handle(now + 1.0, Input::PopupClosed);
        fx.extend(f.handle(now + 1.0 + 3000.0, Input::Tick));
        if session || redirect {
            // Also the end of a redirect-mode flow waiting for its page to come back.
            fx.extend(f.handle(now + 2.0 + 3000.0, Input::Cancel));
        }
        finishes += fx.iter().filter(|e| matches!(e, Effect::Finish(_) | Effect::Release)).count();
        prop_assert_eq!(finishes, 1);
        prop_assert!(f.is_done());
    }
}

fn raw_success(id: &str, integration: Option<&str>, end_user: Option<&str>) -> ResultMessage {
    ResultMessage {
        kind: crate::protocol::MessageType::ConnectResult,
        outcome: ResultOutcome::Success {
            connection_id: id.into(),
            integration_name: integration.map(Into::into),
            external_id: None,
            end_user_id: end_user.map(Into::into),
        },
    }
}

fn for_flow(session: bool, integration: Option<&str>, end_user: Option<&str>) -> Flow {
    let mut f = Flow::new(FlowConfig {
        integration: integration.map(Into::into),
        end_user_id: end_user.map(Into::into),
        ..cfg(session)
    });
    f.handle(0.0, Input::PopupOpened);
    f.handle(1.0, Input::Target(Target::new(URL).unwrap()));
    f
}

#[test]
fn a_minimal_success_message_connects_unconfirmed_without_a_session_endpoint() {
    let mut f = for_flow(false, Some("slack"), None);
    let fx = f.handle(2.0, msg(ORIGIN, true, raw_success("c1", None, None)));
    match finished(&fx) {
        Some(Outcome::Connected(c)) => {
            assert_eq!(c.connection_id, "c1");
            assert_eq!(c.integration_name, "slack", "the flow's own integration");
            assert_eq!(c.external_id, "");
            assert!(!c.confirmed);
            assert_eq!(c.session, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn results_for_another_integration_or_end_user_are_refused() {
    let mismatch = |field: &'static str| Effect::Debug(Note::RejectedMismatch(field));
    let mut f = for_flow(false, Some("slack"), None);
    assert_eq!(
        f.handle(
            2.0,
            msg(ORIGIN, true, raw_success("theirs", Some("github"), None))
        ),
        [mismatch("integrationName")]
    );
    assert!(!f.is_done());
    let fx = f.handle(3.0, msg(ORIGIN, true, raw_success("ours", Some("slack"), None)));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.connection_id == "ours"));

    // An end-user flow takes only a result that names its end user, and never fills it in.
    for session in [false, true] {
        let mut f = for_flow(session, None, Some("eu-1"));
        for (t, other) in [(2.0, None), (1003.0, Some("eu-2")), (2004.0, Some(""))] {
            let fx = f.handle(t, msg(ORIGIN, true, raw_success("theirs", Some("slack"), other)));
            assert_eq!(fx, [mismatch("endUserId")], "{other:?}");
        }
        let fx = f.handle(
            3005.0,
            msg(ORIGIN, true, raw_success("ours", Some("slack"), Some("eu-1"))),
        );
        if session {
            assert!(fx.contains(&Effect::Poll("cst_abc".into())));
            let fx = f.handle(3006.0, poll(SessionStatus::Completed, Some("ours"), None));
            match finished(&fx) {
                Some(Outcome::Connected(c)) => {
                    assert_eq!(c.end_user_id.as_deref(), Some("eu-1"));
                    assert!(c.confirmed);
                }
                other => panic!("{other:?}"),
            }
        } else {
            match finished(&fx) {
                Some(Outcome::Connected(c)) => {
                    assert_eq!(c.end_user_id.as_deref(), Some("eu-1"));
                    assert!(!c.confirmed);
                }
                other => panic!("{other:?}"),
            }
        }
    }
    // A flow that is not for an end user reports none, whatever its options elsewhere say.
    let mut f = for_flow(false, None, None);
    let fx = f.handle(2.0, msg(ORIGIN, true, raw_success("c", Some("slack"), None)));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.end_user_id.is_none()));
}

#[test]
fn a_flood_of_rejected_messages_costs_a_few_notes_and_is_counted() {
    let mut f = waiting(true);
    let forged = msg(
        "https://evil.example",
        false,
        ResultMessage::success("x", "slack", "u"),
    );
    let mut notes = Vec::new();
    let mut t = 1.0;
    for i in 0..20_000u32 {
        t = 1.0 + f64::from(i) * 0.1;
        for e in f.handle(t, forged.clone()) {
            notes.push(e);
        }
        if i % 1000 == 0 {
            notes.extend(f.handle(t, Input::Tick));
        }
    }
    let rejected: Vec<&Effect> = notes.iter().filter(|e| matches!(e, Effect::Debug(_))).collect();
    assert!(rejected.len() <= 4, "{rejected:?}");
    // Every rejected message is accounted for: one note plus the counts.
    let fx = f.handle(t + 1.0, Input::Cancel);
    let counted: u32 = notes
        .iter()
        .chain(&fx)
        .map(|e| match e {
            Effect::Debug(Note::RejectedMore(n)) => *n,
            Effect::Debug(Note::RejectedOrigin(_)) => 1,
            _ => 0,
        })
        .sum();
    assert_eq!(counted, 20_000);
}

#[test]
fn a_poll_that_never_answers_times_out_and_is_retried() {
    let mut f = waiting(true);
    let fx = f.handle(2.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    assert!(fx.contains(&Effect::Poll("cst_abc".into())));
    assert!(
        f.handle(10_001.0, Input::Tick).is_empty(),
        "still within the poll timeout"
    );
    let fx = f.handle(10_002.0, Input::Tick);
    assert_eq!(fx[0], Effect::AbortPoll);
    assert!(matches!(&fx[1], Effect::Debug(Note::PollRetry(r)) if r.contains("did not answer")));
    // The popup closes (the connect page closed itself): confirming, never "lost".
    let fx = f.handle(10_100.0, Input::PopupClosed);
    assert!(!fx.contains(&Effect::Progress(Progress::WindowDetached)));
    // A closed window is worth asking about at once; that poll hangs too, and the next.
    let mut polls = fx.iter().filter(|e| matches!(e, Effect::Poll(_))).count();
    let mut aborts = 0;
    let mut t = 10_100.0;
    let mut in_flight = polls > 0;
    while t < 60_000.0 || !in_flight {
        t += 250.0;
        let fx = f.handle(t, Input::Tick);
        assert!(
            !fx.contains(&Effect::Progress(Progress::WindowDetached)),
            "{fx:?}"
        );
        assert!(finished(&fx).is_none(), "{fx:?}");
        for e in &fx {
            match e {
                Effect::Poll(_) => {
                    polls += 1;
                    in_flight = true;
                }
                Effect::AbortPoll => {
                    aborts += 1;
                    in_flight = false;
                }
                _ => {}
            }
        }
    }
    assert!(aborts >= 3 && polls > aborts, "{polls} polls, {aborts} timed out");
    // This one answers: one outcome, confirmed.
    let fx = f.handle(t + 5.0, poll(SessionStatus::Completed, Some("c"), None));
    assert!(matches!(finished(&fx), Some(Outcome::Connected(c)) if c.confirmed));
}

#[test]
fn ending_a_flow_with_an_unconfirmed_success_says_it_may_exist() {
    // The user's Cancel.
    let mut f = waiting(true);
    let fx = f.handle(2.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    assert!(fx.contains(&Effect::Progress(Progress::SuccessUnconfirmed)));
    let fx = f.handle(3.0, Input::Cancel);
    match finished(&fx) {
        Some(Outcome::Failed(e)) => {
            assert_eq!(e.code, ErrorCode::Unconfirmed);
            assert!(e.message.contains("may exist"), "{}", e.message);
            assert!(e.retryable);
        }
        other => panic!("{other:?}"),
    }
    // The deadline.
    let mut f = Flow::new(FlowConfig {
        timeout_ms: Some(5000.0),
        ..cfg(true)
    });
    f.handle(0.0, Input::PopupOpened);
    f.handle(1.0, Input::Target(Target::new(URL).unwrap()));
    f.handle(2.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    assert_eq!(code(&f.handle(5001.0, Input::Tick)), Some(ErrorCode::Unconfirmed));
    // A claimed error, or no claim, is cancelled as before.
    let mut f = waiting(true);
    f.handle(2.0, msg(ORIGIN, true, ResultMessage::error("denied")));
    assert_eq!(
        code(&f.handle(3.0, Input::Cancel)),
        Some(ErrorCode::UserCancelled)
    );
    assert_eq!(
        code(&waiting(true).handle(3.0, Input::Cancel)),
        Some(ErrorCode::UserCancelled)
    );
}

#[test]
fn a_claim_the_session_cannot_be_asked_about_is_kept() {
    let mut f = waiting(true);
    f.handle(2.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
    // Every poll fails for longer than the confirmation window (popup still open).
    let mut t = 2.0;
    let mut notes = Vec::new();
    while t < 40_000.0 {
        t += 250.0;
        let fx = f.handle(t, Input::Tick);
        if fx.iter().any(|e| matches!(e, Effect::Poll(_))) {
            notes.extend(f.handle(
                t + 1.0,
                Input::Poll(PollResult::Retry {
                    reason: "HTTP 503".into(),
                    retry_after_ms: None,
                }),
            ));
        }
        notes.extend(fx);
    }
    assert!(
        !notes.contains(&Effect::Debug(Note::NotConfirmed)),
        "nothing contradicted it"
    );
    assert_eq!(code(&f.handle(t, Input::Cancel)), Some(ErrorCode::Unconfirmed));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn no_poll_outlives_its_timeout_and_retries_stay_within_the_backoff(
        timeout in 500.0f64..20_000.0,
        seed in any::<u64>(),
        steps in prop::collection::vec((1u16..3000, 0u8..4), 1..80),
    ) {
        let mut f = Flow::new(FlowConfig { poll_timeout_ms: timeout, seed, ..cfg(true) });
        f.handle(0.0, Input::PopupOpened);
        f.handle(0.0, Input::Target(Target::new(URL).unwrap()));
        f.handle(0.0, msg(ORIGIN, true, ResultMessage::success("c", "slack", "u1")));
        let mut now = 0.0;
        let mut sent: Option<f64> = Some(0.0);
        let mut failed_at: Option<f64> = None;
        for (dt, kind) in &steps {
            now += f64::from(*dt).min(250.0);
            let input = match (kind, sent) {
                // The endpoint answers a failure, or (kind 1, 2, 3) stays silent.
                (0, Some(_)) => Input::Poll(PollResult::Retry { reason: "503".into(), retry_after_ms: None }),
                _ => Input::Tick,
            };
            let answered = matches!(input, Input::Poll(_));
            let fx = f.handle(now, input);
            if answered {
                sent = None;
                failed_at = Some(now);
            }
            for e in &fx {
                match e {
                    Effect::Poll(_) => {
                        prop_assert!(sent.is_none(), "one poll at a time");
                        if let Some(at) = failed_at.take() {
                            // Full jitter: somewhere within the capped backoff (+ a tick).
                            prop_assert!(now - at <= 8000.0 + 250.0, "{}", now - at);
                        }
                        sent = Some(now);
                    }
                    Effect::AbortPoll => {
                        let at = sent.take();
                        prop_assert!(at.is_some_and(|at| now - at >= timeout && now - at <= timeout + 250.0));
                        failed_at = Some(now);
                    }
                    Effect::Finish(_) => prop_assert!(false, "nothing ends this flow but the session"),
                    _ => {}
                }
            }
            if let Some(at) = sent {
                prop_assert!(now - at <= timeout + 250.0, "a poll outlived its timeout");
            }
        }
    }

    #[test]
    fn retry_delays_are_full_jitter_within_the_cap_and_respect_retry_after(
        failures in 1u32..40,
        unit in 0.0f64..1.0,
        retry_after in prop::option::of(0.0f64..30_000.0),
    ) {
        let cfg = FlowConfig::default();
        let d = retry_delay(&cfg, failures, unit, retry_after);
        let cap = (cfg.poll_interval_ms * 2f64.powi(failures.min(11) as i32 - 1)).min(cfg.max_backoff_ms);
        prop_assert!(d >= retry_after.unwrap_or(0.0));
        prop_assert!(d <= cap.max(retry_after.unwrap_or(0.0)));
        prop_assert!(d >= 0.0);
    }
}

#[test]
fn a_return_url_claim_the_open_session_contradicts_is_dropped() {
    let mut f = Flow::new(cfg(true));
    let hint = ResultMessage::success("forged", "slack", "u1").outcome;
    let fx = f.handle(
        0.0,
        Input::Resumed {
            target: Target::new(URL).unwrap(),
            hint: Some(hint),
        },
    );
    assert!(fx.contains(&Effect::Poll("cst_abc".into())));
    let fx = f.handle(1.0, poll(SessionStatus::Connecting, None, None));
    assert!(fx.contains(&Effect::Progress(Progress::Interrupted)));
    // The user gives up: cancelled, not "unconfirmed" (nothing vouches for a connection).
    assert_eq!(
        code(&f.handle(2.0, Input::Cancel)),
        Some(ErrorCode::UserCancelled)
    );
}
