import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { serverError, type UpdateStore } from './protocol.js';
import type { Account, Integration, IntegrationState, ModalState } from './types.js';
import { applyLook } from './look.js';
import { Dialog } from './components/Dialog.js';
import { ConnectPanel } from './components/ConnectPanel.js';
import { Configuration } from './components/Configuration.js';
import { Overview } from './components/Markdown.js';

/** The latest UI_UPDATE, numbered: an OAuth failure counts only when it arrives after the user's click. */
interface Received {
  seq: number;
  modal: ModalState;
  projectId: string | undefined;
  state: IntegrationState | undefined;
}

/**
 * Whether the SDK's request needs the portal on screen: every `connect()`; an `installIntegration()` only for the
 * typed input it cannot ask for itself (then the portal shows that input alone), or to show the portal after install.
 */
function wantsPortal(modal: ModalState): { show: boolean; headless: boolean } {
  const integration = modal.integration;
  if (!integration) return { show: false, headless: false };
  const options = modal.apiInstallationOptions ?? {};
  if (!options.isApiInstallation) return { show: true, headless: false };
  if (modal.shouldShowPortalAfterInstall) return { show: true, headless: false };
  return { show: integration.needPreOauthInputs === true, headless: true };
}

const accountsOf = (state: IntegrationState | undefined): Account[] => (state?.allCredentials ?? []).filter((account) => account && typeof account.id === 'string');

export function App({ store }: { store: UpdateStore }) {
  const [tab, setTab] = useState<'overview' | 'configuration'>('overview');
  const [selected, setSelected] = useState<string>();
  const [adding, setAdding] = useState(false);
  /** A connect flow is under way: the connect view stays until it reports the new account. */
  const [connectFlow, setConnectFlow] = useState(false);
  /** Accounts just connected in this portal, whose post-install inputs are still to ask. */
  const [awaitingPostInstall, setAwaitingPostInstall] = useState<string>();
  const shownRef = useRef(false);
  const integrationIdRef = useRef<string>(undefined);

  const latest = useSyncExternalStore(store.subscribe, store.latest);
  const received: Received | undefined = useMemo(() => {
    if (!latest) return undefined;
    const modal = latest.update.nextModalState ?? {};
    const type = modal.integration?.type;
    return { seq: latest.seq, modal, projectId: latest.update.nextContext?.projectId, state: type ? latest.update.nextContext?.user?.integrations?.[type] : undefined };
  }, [latest]);

  const invoke = useCallback(<T,>(method: string, ...parameters: unknown[]) => {
    return store.bridge.invoke<T>(method, ...parameters);
  }, [store]);

  const modal = received?.modal ?? {};
  const integration = modal.integration ?? undefined;
  const { show, headless } = wantsPortal(modal);

  // A new integration (or a new connect() call) starts from the top.
  useEffect(() => {
    if (integration?.id !== integrationIdRef.current) {
      integrationIdRef.current = integration?.id;
      setSelected(undefined);
      setAdding(false);
      setConnectFlow(false);
      setAwaitingPostInstall(undefined);
      setTab('overview');
    }
  }, [integration?.id]);

  // Show or hide the SDK's iframe; the first time it is shown, tell the SDK (onOpen / onPortalOpen).
  useEffect(() => {
    if (!received) return;
    if (show && !shownRef.current) {
      shownRef.current = true;
      void invoke('updateContainerStyle', { isModalShown: true })
        .then(() => {
          // Shown now: take the keyboard's focus from the page into the dialog, so Tab and Escape reach it.
          window.focus();
          document.querySelector<HTMLElement>('[role="dialog"]')?.focus();
          return invoke('onOpen');
        })
        .catch(() => undefined);
    } else if (!show && shownRef.current) {
      shownRef.current = false;
      void invoke('updateContainerStyle', { isModalShown: false }).catch(() => undefined);
    }
  }, [show, received, invoke]);

  useEffect(() => {
    applyLook(document.documentElement, { ...(integration?.brandColor && { brandColor: integration.brandColor }), ...modal.config });
  }, [integration?.brandColor, modal.config]);

  const accounts = accountsOf(received?.state);
  const currentId = [selected, modal.selectedCredentialId, received?.state?.credentialId, accounts[0]?.id].find((id) => id && accounts.some((account) => account.id === id));
  const current = accounts.find((account) => account.id === currentId);

  const close = useCallback(() => {
    void invoke('closePortal').catch(() => undefined);
  }, [invoke]);

  const onConnected = useCallback(
    (credentialId: string) => {
      setAdding(false);
      setConnectFlow(false);
      setSelected(credentialId);
      if (headless && !(integration?.postInstallInputs?.length && !modal.apiInstallationOptions?.bypassPostOAuthPrompt)) {
        close();
        return;
      }
      if (integration?.postInstallInputs?.length && !modal.apiInstallationOptions?.bypassPostOAuthPrompt) setAwaitingPostInstall(credentialId);
      else setTab('configuration');
    },
    [headless, integration, modal.apiInstallationOptions?.bypassPostOAuthPrompt, close],
  );

  const knownAccounts = useMemo(() => new Set(accounts.map((account) => account.id)), [accounts]);

  if (!received || !integration || !show) return null;

  const allowMultiple = modal.apiInstallationOptions?.allowMultipleCredentials === true;
  const connecting = !current || adding || connectFlow;
  const description = modal.config?.description;
  const overview = modal.config?.overview;

  const connectPanel = (
    <ConnectPanel
      integration={integration}
      modal={modal}
      seq={received.seq}
      knownAccounts={knownAccounts}
      adding={adding}
      invoke={invoke}
      onConnected={onConnected}
      onStart={() => setConnectFlow(true)}
      onStop={() => setConnectFlow(false)}
      onCancel={adding ? () => setAdding(false) : undefined}
    />
  );

  if (headless && (connecting || awaitingPostInstall === undefined)) {
    return (
      <Dialog integration={integration} onClose={close}>
        {connectPanel}
      </Dialog>
    );
  }

  return (
    <Dialog integration={integration} onClose={close}>
      {accounts.length > 0 && !connecting && (
        <AccountSwitcher
          integration={integration}
          accounts={accounts}
          currentId={currentId}
          onSelect={(id) => {
            setSelected(id);
            setAwaitingPostInstall(undefined);
          }}
          onAdd={allowMultiple ? () => setAdding(true) : undefined}
        />
      )}
      {connecting ? (
        <>
          {description && <p className="lead">{description}</p>}
          {connectPanel}
          {overview && received.projectId && !adding && (
            <section aria-labelledby="overview-title" className="overview">
              <h2 id="overview-title">Overview</h2>
              <Overview projectId={received.projectId ?? ''} integrationId={integration.id} />
            </section>
          )}
        </>
      ) : awaitingPostInstall === current.id ? (
        <PostInstall
          integration={integration}
          account={current}
          invoke={invoke}
          onDone={() => {
            setAwaitingPostInstall(undefined);
            if (headless) return close();
            setTab('configuration');
            // The form that had the focus is gone: the keyboard continues from the selected tab.
            requestAnimationFrame(() => document.getElementById('tab-configuration')?.focus());
          }}
        />
      ) : (
        <>
          <div className="tabs" role="tablist" aria-label="Sections">
            {(['overview', 'configuration'] as const).map((name) => (
              <button
                key={name}
                type="button"
                role="tab"
                id={`tab-${name}`}
                aria-selected={tab === name}
                aria-controls={`panel-${name}`}
                tabIndex={tab === name ? 0 : -1}
                onClick={() => setTab(name)}
                onKeyDown={(event) => {
                  if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
                    const next = name === 'overview' ? 'configuration' : 'overview';
                    setTab(next);
                    document.getElementById(`tab-${next}`)?.focus();
                  }
                }}
              >
                {name === 'overview' ? 'Overview' : 'Configuration'}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
            {tab === 'overview' ? (
              <>
                {description && <p className="lead">{description}</p>}
                {overview && received.projectId ? <Overview projectId={received.projectId} integrationId={integration.id} /> : <p className="help">Connected. Open Configuration to choose how {integration.name} works with this app.</p>}
              </>
            ) : (
              <Configuration key={current.id} integration={integration} config={modal.config ?? {}} account={current} invoke={invoke} />
            )}
          </div>
          <Disconnect
            key={`disconnect-${current.id}`}
            integration={integration}
            account={current}
            invoke={invoke}
            onDone={() => {
              setSelected(undefined);
              setTab('overview');
            }}
          />
        </>
      )}
    </Dialog>
  );
}

/** How an account is named to the user: what the provider calls it, else when it was connected. */
export function accountLabel(account: Account, index: number): string {
  const data = account.providerData ?? {};
  for (const key of ['email', 'name', 'login', 'username', 'accountName']) {
    const value = data[key];
    if (typeof value === 'string' && value) return value;
  }
  if (account.providerId) return account.providerId;
  return `Account ${index + 1}`;
}

function AccountSwitcher({
  integration,
  accounts,
  currentId,
  onSelect,
  onAdd,
}: {
  integration: Integration;
  accounts: Account[];
  currentId: string | undefined;
  onSelect: (id: string) => void;
  onAdd: (() => void) | undefined;
}) {
  return (
    <div className="accounts">
      {accounts.length > 1 ? (
        <div className="account-select">
          <label htmlFor="account-switcher">{integration.name} account</label>
          <select id="account-switcher" value={currentId} onChange={(event) => onSelect(event.target.value)}>
            {accounts.map((account, index) => (
              <option key={account.id} value={account.id}>
                {accountLabel(account, index)}
                {account.status && account.status !== 'VALID' ? ' (needs reconnecting)' : ''}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <p className="connected-as">
          <span className="dot" aria-hidden="true" /> Connected as <strong>{accountLabel(accounts[0]!, 0)}</strong>
        </p>
      )}
      {onAdd && (
        <button type="button" className="secondary" onClick={onAdd}>
          Add another account
        </button>
      )}
    </div>
  );
}

type Invoke = <T>(method: string, ...parameters: unknown[]) => Promise<T>;

function PostInstall({ integration, account, invoke, onDone }: { integration: Integration; account: Account; invoke: Invoke; onDone: () => void }) {
  return <Configuration integration={integration} config={{}} account={account} invoke={invoke} postInstall onSaved={onDone} />;
}

function Disconnect({ integration, account, invoke, onDone }: { integration: Integration; account: Account; invoke: Invoke; onDone: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  if (!confirming) {
    return (
      <div className="disconnect">
        <button type="button" ref={openRef} className="danger-outline" onClick={() => setConfirming(true)}>
          Disconnect
        </button>
      </div>
    );
  }
  return (
    <div className="disconnect confirm" role="alertdialog" aria-labelledby="disconnect-title" aria-describedby="disconnect-text">
      <h2 id="disconnect-title">Disconnect this {integration.name} account?</h2>
      <p id="disconnect-text">Its workflows stop running and its settings are deleted. You can connect it again later.</p>
      {error && (
        <p className="error" role="alert">
          {error} Try again, or close the portal and reload the page.
        </p>
      )}
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setConfirming(false);
            setError(undefined);
          }}
        >
          Cancel
        </button>
        <button
          type="button"
          ref={confirmRef}
          className="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(undefined);
            try {
              await invoke('uninstallIntegration', integration.type, { selectedCredentialId: account.id });
              onDone();
            } catch (failure) {
              setError(serverError(failure).message);
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? 'Disconnecting…' : 'Disconnect'}
        </button>
      </div>
    </div>
  );
}
