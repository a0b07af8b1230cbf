import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ConnectedAccount, IntegrationMetadata } from '@switchboard/sdk';
import { useIntegrationMetadata, useSwitchboard, useSwitchboardUser } from '@switchboard/react';
import { ActivityLog, type ActivityEntry } from './components/ActivityLog.js';
import { ConfirmDisconnect, type DisconnectRequest } from './components/ConfirmDisconnect.js';
import { ModeSwitch } from './components/ModeSwitch.js';
import { Banners, type Banner } from './components/Banners.js';
import { InstallDialog } from './components/InstallDialog.js';
import { IntegrationCard } from './components/IntegrationCard.js';
import { IntegrationDetails, type TestResult } from './components/IntegrationDetails.js';
import { asError, describeError, type ErrorLike } from './errors.js';
import { followSystemTheme, initialMode, initialTheme, rememberInUrl, type ConnectMode, type Theme } from './connect-mode.js';
import { settingsApi } from './settings-api.js';
import { accountName, accountsOf, integrationState, integrationStatus } from './status.js';
import { useInstallFlow, type ConnectOptions } from './use-install-flow.js';

export interface AppProps {
  /** The Switchboard server the SDK talks to. */
  host: string;
  build: 'script' | 'module';
  projectId: string;
  /** The demo user's token, for the settings calls the SDK has no function for (settings-api.ts). */
  userToken: string;
  /** `?connect=<type>`: start this install right after sign-in. */
  deepLink: string | undefined;
  params: URLSearchParams;
}

let nextId = 1;

export function App({ host, build, projectId, userToken, deepLink, params }: AppProps) {
  const sdk = useSwitchboard();
  const user = useSwitchboardUser();
  const integrations = useIntegrationMetadata();
  const [selected, setSelected] = useState<string>();
  const [activity, setActivity] = useState<ActivityEntry[]>([]);
  const [banners, setBanners] = useState<Banner[]>([]);
  const [disconnecting, setDisconnecting] = useState<Record<string, ReadonlySet<string>>>({});
  const [mode, setMode] = useState<ConnectMode>(() => initialMode(params));
  const [theme, setTheme] = useState<Theme>(() => initialTheme(params));
  const [confirming, setConfirming] = useState<DisconnectRequest>();
  const settings = useMemo(() => settingsApi(host, projectId, () => userToken), [host, projectId, userToken]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  // Until the user picks a theme (the switch, or ?theme=), the demo follows the system's setting as it changes.
  const themeChosen = useRef(params.has('theme'));
  useEffect(() => followSystemTheme((next) => !themeChosen.current && setTheme(next)), []);

  const metadataRef = useRef<IntegrationMetadata[]>(integrations);
  metadataRef.current = integrations;
  const nameOf = (type: string | undefined) => metadataRef.current.find((item) => item.type === type)?.name ?? type;

  const connectRef = useRef<(type: string, options?: ConnectOptions) => void>(() => {});

  const dismiss = useCallback((id: number) => setBanners((previous) => previous.filter((banner) => banner.id !== id)), []);

  /** Shows an error as a banner; "Connect again" re-runs the install that failed, from the banner's click. */
  const report = useCallback(
    (error: ErrorLike, integrationType?: string, retry?: ConnectOptions) => {
      console.warn(`[catalog] ${integrationType ?? ''} ${error.name}: ${error.message}`);
      const id = nextId++;
      const description = describeError(error, nameOf(integrationType));
      const onAction =
        description.action === 'reload'
          ? () => window.location.reload()
          : description.action === 'connect-again' && integrationType
            ? () => {
                dismiss(id);
                connectRef.current(integrationType, retry);
              }
            : undefined;
      const banner: Banner = { ...description, id, errorName: error.name, integrationType, ...(onAction && { onAction }) };
      setBanners((previous) =>
        [banner, ...previous.filter((other) => other.errorName !== banner.errorName || other.integrationType !== integrationType)].slice(0, 3),
      );
    },
    [dismiss],
  );

  const install = useInstallFlow(sdk, report);
  connectRef.current = install.connect;

  // The activity log: every install and uninstall the SDK reports, wherever it came from.
  useEffect(() => {
    const add = (entry: Omit<ActivityEntry, 'id' | 'at' | 'integrationName'>) =>
      setActivity((previous) => [{ ...entry, id: nextId++, at: new Date(), integrationName: nameOf(entry.integrationType) ?? '' }, ...previous].slice(0, 50));
    const offInstall = sdk.subscribe('onIntegrationInstall', (event) => {
      add({ event: 'onIntegrationInstall', integrationType: event.integrationType, credentialIds: event.credentialId ? [event.credentialId] : [] });
      // A successful connection settles what went wrong before with the same integration.
      setBanners((previous) => previous.filter((banner) => banner.integrationType !== event.integrationType));
    });
    const offUninstall = sdk.subscribe('onIntegrationUninstall', (event) =>
      add({
        event: 'onIntegrationUninstall',
        integrationType: event.integrationType,
        credentialIds: event.credentialId ? [event.credentialId] : (event.removedCredentialIds ?? []),
      }),
    );
    return () => {
      offInstall();
      offUninstall();
    };
  }, [sdk]);

  // Signed out (an expired token, logout): the SDK drops its install flow without a word, so close the dialog too.
  const cancelInstall = install.cancel;
  const installing = install.flow !== undefined;
  useEffect(() => {
    if (!user.authenticated && installing) cancelInstall();
  }, [user.authenticated, installing, cancelInstall]);

  /**
   * Connect, or for an integration whose account was invalidated, re-authorize that account in place: with this
   * app's own forms (headless), or in the SDK's Connect Portal.
   */
  const connect = useCallback(
    (type: string, options?: ConnectOptions) => {
      if (!options) {
        const invalid = accountsOf(integrationState(sdk.getUser(), type)).find((account) => account.status === 'INVALID');
        if (invalid) options = { selectedCredentialId: invalid.id };
      }
      if (mode === 'portal') {
        sdk.connect(type, { ...options, theme, onError: (error) => report(asError(error), type) }).catch(() => undefined);
      } else {
        install.connect(type, options);
      }
    },
    [sdk, install.connect, mode, theme, report],
  );

  // `?connect=<type>`: start right after sign-in. Outside a click, so a browser may block the OAuth popup: the
  // banner then offers to connect again from a click.
  const deepLinked = useRef(false);
  useEffect(() => {
    if (!deepLink || deepLinked.current) return;
    deepLinked.current = true;
    const url = new URL(window.location.href);
    url.searchParams.delete('connect');
    window.history.replaceState(null, '', url);
    connect(deepLink);
  }, [deepLink, connect]);

  /** Disconnecting deletes settings and stops workflows: the user confirms first (ConfirmDisconnect). */
  const askDisconnect = (type: string, selectedCredentialId?: string) => {
    const account = accountsOf(integrationState(user, type)).find((candidate) => candidate.id === selectedCredentialId);
    setConfirming({ integrationType: type, ...(selectedCredentialId && { selectedCredentialId }), name: account ? accountName(account) : (nameOf(type) ?? type) });
  };

  /** Saves an account's settings, then reloads the user state (the SDK's state comes from `GET /sdk/me`). */
  const saveSettings = async (account: ConnectedAccount, values: Record<string, string>) => {
    await settings.save(account, values);
    await sdk.authenticate(projectId, userToken);
  };

  /** The same for a workflow's settings, asked for before it is turned on (WorkflowsPanel). */
  const saveWorkflowSettings = async (account: ConnectedAccount, workflowId: string, values: Record<string, string>) => {
    await settings.saveWorkflow(account, workflowId, values);
    await sdk.authenticate(projectId, userToken);
  };

  const disconnect = async (type: string, selectedCredentialId?: string) => {
    const key = selectedCredentialId ?? '*';
    const mark = (on: boolean) =>
      setDisconnecting((previous) => {
        const next = new Set(previous[type]);
        if (on) next.add(key);
        else next.delete(key);
        return { ...previous, [type]: next };
      });
    mark(true);
    try {
      await sdk.uninstallIntegration(type, selectedCredentialId ? { selectedCredentialId } : undefined);
    } catch (error) {
      report(asError(error), type);
    } finally {
      mark(false);
    }
  };

  const testRequest = async (type: string, selectedCredentialId: string): Promise<TestResult> => {
    try {
      return { ok: true, body: await sdk.request(type, '/me', { selectedCredentialId }) };
    } catch (raw) {
      const error = asError(raw);
      if (error.name === 'UserNotAuthenticatedError') report(error, type);
      const body = (raw as { body?: unknown }).body;
      return { ok: false, title: describeError(error, nameOf(type)).title + (error.name === 'RequestError' ? '' : `: ${error.message}`), body };
    }
  };

  // Connecting until the account exists; post-install settings are asked of a connected account.
  const connectingType = install.flow?.stage?.stage === 'postOptions' ? undefined : install.flow?.integrationType;
  const statusOf = (type: string) => integrationStatus(integrationState(user, type), connectingType === type);
  const selectedMetadata = integrations.find((item) => item.type === selected);
  const flowMetadata = integrations.find((item) => item.type === install.flow?.integrationType);
  const connectedCount = integrations.filter((item) => statusOf(item.type) === 'connected').length;

  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar-inner">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true">
              A
            </span>
            <span className="brand-name">Your app</span>
            <nav aria-label="Breadcrumb" className="crumbs">
              <span>Settings</span>
              <span aria-hidden="true">/</span>
              <span aria-current="page">Integrations</span>
            </nav>
          </div>
          <div className="who" data-testid="session">
            {user.authenticated ? (
              <>
                <span className="muted">Signed in as</span>{' '}
                <strong data-testid="user-id">{user.userId}</strong>
              </>
            ) : (
              <strong data-testid="signed-out">Signed out</strong>
            )}
          </div>
        </div>
      </header>

      <div className="page">
        <Banners banners={banners} onDismiss={dismiss} />
        <div className="layout">
          <main className="content">
            {selected && selectedMetadata ? (
              <IntegrationDetails
                metadata={selectedMetadata}
                state={integrationState(user, selected)}
                status={statusOf(selected)}
                disconnecting={disconnecting[selected] ?? new Set()}
                onBack={() => setSelected(undefined)}
                onConnect={(options) => connect(selected, options)}
                onDisconnect={(credentialId) => askDisconnect(selected, credentialId)}
                onTestRequest={(credentialId) => testRequest(selected, credentialId)}
                loadSettingFields={() => settings.fields(selected)}
                onSaveSettings={saveSettings}
                onSaveWorkflowSettings={saveWorkflowSettings}
              />
            ) : (
              <section aria-labelledby="catalog-title" data-testid="catalog">
                <div className="catalog-head">
                  <div>
                    <h1 id="catalog-title">Integrations</h1>
                    <p className="muted">Connect the tools your team already uses. Your credentials stay with Switchboard, never in this app.</p>
                  </div>
                  {integrations.length > 0 && (
                    <p className="summary" data-testid="connected-summary">
                      {connectedCount} of {integrations.length} connected
                    </p>
                  )}
                </div>
                <ModeSwitch
                  mode={mode}
                  theme={theme}
                  onMode={(next) => {
                    setMode(next);
                    rememberInUrl('mode', next);
                  }}
                  onTheme={(next) => {
                    themeChosen.current = true;
                    setTheme(next);
                    rememberInUrl('theme', next);
                  }}
                />
                {!user.authenticated ? (
                  <p className="empty" data-testid="signed-out-notice">
                    You are signed out. Reload the page to sign in again.
                  </p>
                ) : integrations.length === 0 ? (
                  <p className="empty">No integrations are active in this project.</p>
                ) : (
                  <ul className="grid">
                    {integrations.map((metadata) => (
                      <IntegrationCard
                        key={metadata.type}
                        metadata={metadata}
                        state={integrationState(user, metadata.type)}
                        status={statusOf(metadata.type)}
                        busy={(disconnecting[metadata.type]?.size ?? 0) > 0}
                        onConnect={() => connect(metadata.type)}
                        onDisconnect={() => askDisconnect(metadata.type)}
                        onOpen={() => setSelected(metadata.type)}
                        {...(mode === 'portal' && { onManage: () => connect(metadata.type, {}) })}
                      />
                    ))}
                  </ul>
                )}
              </section>
            )}
          </main>
          <aside className="sidebar">
            <ActivityLog entries={activity} onClear={() => setActivity([])} />
            <section className="about" aria-label="About this demo">
              <dl>
                <div>
                  <dt>SDK</dt>
                  <dd data-testid="sdk-build" data-build={build}>
                    {build === 'script' ? 'script tag /switchboard.js' : 'ESM build'}
                  </dd>
                </div>
                <div>
                  <dt>Server</dt>
                  <dd>
                    <code data-testid="sdk-host">{host}</code>
                  </dd>
                </div>
                <div>
                  <dt>Project</dt>
                  <dd>
                    <code>{projectId}</code>
                  </dd>
                </div>
              </dl>
            </section>
          </aside>
        </div>
      </div>

      <ConfirmDisconnect
        request={confirming}
        onCancel={() => setConfirming(undefined)}
        onConfirm={() => {
          if (confirming) void disconnect(confirming.integrationType, confirming.selectedCredentialId);
          setConfirming(undefined);
        }}
      />
      <InstallDialog
        flow={install.flow}
        metadata={flowMetadata}
        onAccountType={install.setAccountType}
        onSubmit={install.submitFields}
        onCancel={install.cancel}
      />
    </div>
  );
}
