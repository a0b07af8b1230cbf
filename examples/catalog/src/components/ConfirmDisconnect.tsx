import { useEffect, useRef } from 'react';

export interface DisconnectRequest {
  integrationType: string;
  /** One account, or every account of the integration. */
  selectedCredentialId?: string;
  /** What the user reads: the account's or the integration's name. */
  name: string;
}

/**
 * Asks before disconnecting: a modal dialog whose Cancel has the focus, so Enter or Esc by reflex disconnects nothing.
 */
export function ConfirmDisconnect({ request, onConfirm, onCancel }: { request: DisconnectRequest | undefined; onConfirm(): void; onCancel(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (request && !element.open) {
      element.showModal();
      cancel.current?.focus();
    }
    if (!request && element.open) element.close();
  }, [request]);

  return (
    <dialog
      ref={dialog}
      className="install-dialog confirm-dialog"
      data-testid="confirm-disconnect"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-text"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      {request && (
        <form method="dialog" className="install-body" onSubmit={(event) => event.preventDefault()}>
          <h2 id="confirm-title">Disconnect {request.name}?</h2>
          <p id="confirm-text" className="muted">
            {request.selectedCredentialId ? 'This account' : 'Every account of this integration'} will stop working in this app: its
            workflows stop and its saved settings are deleted. You can connect it again later.
          </p>
          <div className="form-actions">
            <button type="button" className="button" ref={cancel} onClick={onCancel}>
              Cancel
            </button>
            <button type="button" className="button danger" onClick={onConfirm}>
              Disconnect
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
