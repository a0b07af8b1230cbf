import { asError } from '../errors.js';

export function Booting() {
  return (
    <main className="boot" aria-busy="true">
      <div className="boot-card">
        <span className="spinner" aria-hidden="true" />
        <p>Signing you in…</p>
      </div>
    </main>
  );
}

export function BootError({ error }: { error: unknown }) {
  const { name, message } = asError(error);
  return (
    <main className="boot">
      <div className="boot-card" role="alert" data-testid="boot-error" data-error-name={name}>
        <h1>The demo could not start</h1>
        <p>{message}</p>
        <p className="muted">
          Is the Switchboard server running (<code>npm start</code>)? The demo signs in through <code>/demo/session</code>.
        </p>
        <button type="button" className="button primary" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    </main>
  );
}
