import { useEffect, useRef, useState } from 'react';
import { fromInstallField } from '../fields.js';
import { serverError } from '../protocol.js';
import { integrationType, type Integration, type ModalState } from '../types.js';
import { FieldsForm } from './FieldsForm.js';

type Invoke = <T>(method: string, ...parameters: unknown[]) => Promise<T>;

interface ConnectPanelProps {
  integration: Integration;
  modal: ModalState;
  /** The number of the UI_UPDATE being shown: a connection error counts only if it came after the click. */
  seq: number;
  knownAccounts: ReadonlySet<string>;
  adding: boolean;
  invoke: Invoke;
  onConnected: (credentialId: string) => void;
  /** A flow started (the popup is open, a key is being checked): the panel must stay until it ends. */
  onStart: () => void;
  /** The flow ended without a new account. */
  onStop: () => void;
  onCancel: (() => void) | undefined;
}

/** What the user is told when OAuth fails: their own Deny as such, anything else with what to do next. */
function oauthFailure(error: NonNullable<ModalState['connectionError']>, name: string): string {
  const response = error.errorResponse ?? (typeof error.message === 'string' ? { message: error.message, code: error.code } : undefined);
  if (response?.code === 'OAUTH_ACCESS_DENIED') return `You declined access at ${name}, so nothing was connected. Connect again whenever you are ready.`;
  const message = response?.message ?? (typeof error.error === 'string' ? error.error : undefined);
  return `${message ?? `${name} did not finish connecting.`} Try again; if it keeps failing, contact the app's support.`;
}

/**
 * Connecting an account: the account-type choice, inputs needed before OAuth, then the OAuth popup (opened by the
 * SDK on the page, from this click) or the form for an API key or basic auth.
 */
export function ConnectPanel({ integration, modal, seq, knownAccounts, adding, invoke, onConnected, onStart, onStop, onCancel }: ConnectPanelProps) {
  const options = modal.apiInstallationOptions ?? {};
  const givenAccountType = typeof options.accountType === 'string' ? options.accountType : undefined;
  const allowedTypes = Array.isArray(options.accountType) ? options.accountType : undefined;
  const offered = integration.accountTypes ?? [];
  const accountTypes = offered.filter((type) => !allowedTypes || allowedTypes.includes(type.id));
  // connect(type, { accountType }) naming a type the app does not offer: said at once, as the server would refuse it.
  const wanted = givenAccountType !== undefined ? [givenAccountType] : (allowedTypes ?? []);
  const unoffered = wanted.length > 0 && !wanted.some((id) => (offered.length > 0 ? offered.some((type) => type.id === id) : id === 'default'));
  const [accountType, setAccountType] = useState<string | undefined>(givenAccountType ?? (accountTypes.length === 1 ? accountTypes[0]!.id : undefined));
  const [waiting, setWaiting] = useState<{ since: number; before: ReadonlySet<string> }>();
  const [error, setError] = useState<string>();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const sectionRef = useRef<HTMLElement>(null);
  const [picked, setPicked] = useState(false);

  const credentialFields = (integration.credentialFields ?? []).map(fromInstallField);
  const preOAuthFields = (integration.preOAuthInputs ?? []).map(fromInstallField);
  const isOAuth = credentialFields.length === 0;
  const needsAccountType = isOAuth && accountTypes.length > 1 && !accountType;
  const installOptions = {
    ...(options.allowMultipleCredentials || adding ? { allowMultipleCredentials: true } : {}),
    ...(options.selectedCredentialId && !adding ? { selectedCredentialId: options.selectedCredentialId } : {}),
  };

  // The OAuth outcome arrives as UI_UPDATE: a new account, or a connection error posted after the click.
  useEffect(() => {
    if (!waiting) return;
    const added = [...knownAccounts].find((id) => !waiting.before.has(id));
    if (added) {
      setWaiting(undefined);
      onConnected(added);
    } else if (modal.connectionError && seq > waiting.since) {
      setWaiting(undefined);
      onStop();
      setError(oauthFailure(modal.connectionError, integration.name));
    }
  }, [waiting, knownAccounts, modal.connectionError, seq, integration.name, onConnected, onStop]);

  useEffect(() => {
    if (error) headingRef.current?.focus();
  }, [error]);

  // Once a type is picked, the keyboard goes on to what comes next (the first input, or Connect).
  useEffect(() => {
    if (picked) sectionRef.current?.querySelector<HTMLElement>('form input, form select, .actions .primary')?.focus();
  }, [picked, accountType]);
  const chosenLabel = accountTypes.length > 1 && accountType && !givenAccountType ? accountTypes.find((type) => type.id === accountType)?.label : undefined;

  const startOAuth = (endUserSuppliedValues?: Record<string, unknown>) => {
    setError(undefined);
    setWaiting({ since: seq, before: new Set(knownAccounts) });
    onStart();
    // Posted inside this click, so the SDK may open its popup (user activation reaches the parent page).
    // The SDK opens its popup for pre-OAuth inputs only with an account type chosen (docs/connect-portal.md).
    const chosenType = accountType ?? (endUserSuppliedValues ? integration.sdkIntegrationConfig?.accountTypes?.[0]?.id : undefined);
    invoke('startOAuthFlow', integrationType(integration), {
      ...options,
      ...installOptions,
      ...(chosenType && { accountType: chosenType }),
      ...(endUserSuppliedValues && { endUserSuppliedValues }),
    }).catch((failure: unknown) => {
      setWaiting(undefined);
      onStop();
      const { message } = serverError(failure);
      setError(/popup|blocked/i.test(message) ? 'Your browser blocked the sign-in window. Allow pop-ups for this site, then click Connect again.' : `${message} Try again.`);
    });
  };

  const saveCredential = async (payload: Record<string, unknown>) => {
    let credential: { id: string } | undefined;
    try {
      credential = await invoke<{ id: string }>('sendConnectRequest', '/sdk/credentials', {
        method: 'POST',
        body: JSON.stringify({ integrationId: integration.id, config: {}, payload, installOptions }),
      });
    } catch (failure) {
      const problem = serverError(failure);
      const sentence = /[.!?]$/.test(problem.message) ? problem.message : `${problem.message}.`;
      throw { message: /check|try/i.test(sentence) ? sentence : `${sentence} Check it and try again.`, field: problem.field };
    }
    if (!credential?.id) throw { message: 'The server did not answer with the new account. Try again.' };
    await invoke('updateCredentialData', credential, integration);
    await invoke('triggerSDKEvent', { type: 'onIntegrationInstall', integrationId: integration.id, integrationType: integrationType(integration) });
    onConnected(credential.id);
  };

  return (
    <section className="connect" aria-labelledby="connect-title" ref={sectionRef}>
      <h2 id="connect-title" tabIndex={-1} ref={headingRef}>
        {adding ? `Add another ${integration.name} account` : `Connect your ${integration.name} account`}
      </h2>
      {error && (
        <p className="error banner" role="alert">
          {error}
        </p>
      )}
      {chosenLabel && !waiting && (
        <p className="help chosen-type">
          {chosenLabel} account.{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              setAccountType(undefined);
              setPicked(false);
              // Back on the choice once it is drawn again.
              requestAnimationFrame(() => sectionRef.current?.querySelector<HTMLElement>('.account-types .choice')?.focus());
            }}
          >
            Choose another kind
          </button>
        </p>
      )}
      {unoffered ? (
        <p className="error banner" role="alert">
          This app does not offer {integration.name} accounts of type “{wanted.join('” or “')}”. Close this window; if you need that kind of account,
          contact the app's support.
        </p>
      ) : needsAccountType ? (
        <fieldset className="account-types">
          <legend>Which kind of {integration.name} account?</legend>
          {accountTypes.map((type) => (
            <button
              key={type.id}
              type="button"
              className="choice"
              onClick={() => {
                setAccountType(type.id);
                setPicked(true);
              }}
            >
              {type.label}
            </button>
          ))}
        </fieldset>
      ) : !isOAuth ? (
        <FieldsForm fields={credentialFields} submitLabel="Connect" busyLabel="Checking…" onSubmit={saveCredential}>
          {onCancel && (
            <button type="button" className="secondary" onClick={onCancel}>
              Cancel
            </button>
          )}
        </FieldsForm>
      ) : waiting ? (
        <div className="waiting" role="status">
          <p>Finish signing in to {integration.name} in the window that opened. This closes by itself when you are done.</p>
          <div className="actions">
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setWaiting(undefined);
                onStop();
              }}
            >
              I closed the window
            </button>
          </div>
        </div>
      ) : preOAuthFields.length > 0 ? (
        <FieldsForm fields={preOAuthFields} submitLabel={`Continue to ${integration.name}`} busyLabel="Opening…" onSubmit={async (values) => startOAuth(values)}>
          {onCancel && (
            <button type="button" className="secondary" onClick={onCancel}>
              Cancel
            </button>
          )}
        </FieldsForm>
      ) : (
        <div className="actions start">
          {onCancel && (
            <button type="button" className="secondary" onClick={onCancel}>
              Cancel
            </button>
          )}
          <button type="button" className="primary" onClick={() => startOAuth()}>
            {error ? 'Try again' : `Connect ${integration.name}`}
          </button>
        </div>
      )}
    </section>
  );
}
