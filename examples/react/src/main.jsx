// weavz-connect in React, StrictMode on: development builds mount every effect twice
// (mount, unmount, mount), so setup must be idempotent and cleanups must undo it. ready()
// and defineElement() are idempotent; the listener below is removed by its cleanup; and
// flows start only in click handlers, which React never runs twice. One click: one popup,
// one event.
import { StrictMode, useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { defineElement, open, ready } from 'weavz-connect';
import wasm from 'weavz-connect/full.wasm';

const OUTCOMES = ['weavz:connection-created', 'weavz:connect-error', 'weavz:connect-cancelled'];

/** Loads the widget and defines <weavz-connect>; true once open() can be called. */
function useWeavzConnect() {
  const [state, setState] = useState({ ready: false, error: null });
  useEffect(() => {
    let live = true;
    ready({ wasm })
      .then(defineElement)
      .then(
        () => live && setState({ ready: true, error: null }),
        (err) => live && setState({ ready: false, error: err.message }),
      );
    return () => {
      live = false;
    };
  }, []);
  return state;
}

/** The custom element; its outcome events are handed to `onOutcome`. */
function ConnectElement({ integration, onOutcome }) {
  const ref = useRef(null);
  useEffect(() => {
    const element = ref.current;
    const listener = (event) => onOutcome('element', event.type, event.detail);
    for (const type of OUTCOMES) element.addEventListener(type, listener);
    return () => {
      for (const type of OUTCOMES) element.removeEventListener(type, listener);
    };
  }, [onOutcome]);
  return (
    <weavz-connect
      ref={ref}
      integration={integration}
      token-endpoint="/api/connect-token"
      session-endpoint="/api/connect-session"
    />
  );
}

/** A plain button that runs the flow through the JS API. */
function ConnectButton({ integration, label, disabled, onOutcome }) {
  const onClick = () => {
    // Synchronously in the handler: open() opens the popup before it returns.
    open({ integration, tokenEndpoint: '/api/connect-token', sessionEndpoint: '/api/connect-session' }).then(
      (connection) => onOutcome('api', 'weavz:connection-created', connection),
      (err) => onOutcome('api', err.code === 'user_cancelled' ? 'weavz:connect-cancelled' : 'weavz:connect-error', {
        code: err.code,
        message: err.message,
        retryable: err.retryable,
      }),
    );
  };
  return (
    <button id="api-connect" type="button" disabled={disabled} onClick={onClick}>
      {label}
    </button>
  );
}

function App() {
  const widget = useWeavzConnect();
  const [outcomes, setOutcomes] = useState([]);
  const onOutcome = useCallback((source, type, detail) => setOutcomes((list) => [...list, { source, type, detail }]), []);
  return (
    <main>
      <h1>Integrations</h1>
      <p id="status" role="status">
        {widget.error ? `The widget could not be loaded: ${widget.error}` : widget.ready ? 'Ready.' : 'Loading the widget…'}
      </p>
      <ul>
        <li>
          <ConnectElement integration="slack" onOutcome={onOutcome} />
        </li>
        <li>
          <ConnectButton integration="github" label="Connect GitHub" disabled={!widget.ready} onOutcome={onOutcome} />
        </li>
      </ul>
      <h2>Outcomes</h2>
      <ol id="outcomes">
        {outcomes.map((o, i) => (
          <li key={i} data-source={o.source} data-type={o.type}>
            {JSON.stringify(o.detail)}
          </li>
        ))}
      </ol>
    </main>
  );
}

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
