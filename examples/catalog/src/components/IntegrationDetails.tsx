import { useMemo, useState, type ReactNode } from 'react';
import type { ConnectedAccount, InstallField, IntegrationMetadata, IntegrationState } from '@switchboard/sdk';
import { ACCOUNT_STATUS_LABELS, accountEmail, accountName, accountsOf, type IntegrationStatus } from '../status.js';
import { AccountSettings } from './AccountSettings.js';
import { IntegrationIcon } from './IntegrationIcon.js';
import { StatusBadge } from './StatusBadge.js';
import { WorkflowsPanel, type SaveWorkflowSettings } from './WorkflowsPanel.js';

/** The outcome of "Send a test request" for one account. */
export type TestResult = { ok: true; body: unknown } | { ok: false; title: string; body?: unknown };

export interface IntegrationDetailsProps {
  metadata: IntegrationMetadata;
  state: IntegrationState | undefined;
  status: IntegrationStatus;
  /** Accounts being disconnected, by credential id (`*` for all). */
  disconnecting: ReadonlySet<string>;
  onBack(): void;
  onConnect(options?: { allowMultipleCredentials?: boolean; selectedCredentialId?: string }): void;
  onDisconnect(selectedCredentialId?: string): void;
  onTestRequest(selectedCredentialId: string): Promise<TestResult>;
  loadSettingFields(): Promise<InstallField[]>;
  onSaveSettings(account: ConnectedAccount, values: Record<string, string>): Promise<void>;
  onSaveWorkflowSettings: SaveWorkflowSettings;
}

export function IntegrationDetails(props: IntegrationDetailsProps) {
  const { metadata, state, status, disconnecting, onBack, onConnect, onDisconnect, loadSettingFields, onSaveSettings, onSaveWorkflowSettings } = props;
  // One request for the fields, whatever the number of accounts.
  const fields = useMemo(() => {
    let loaded: Promise<InstallField[]> | undefined;
    return () => (loaded ??= loadSettingFields());
  }, [metadata.type]);
  const accounts = accountsOf(state);
  const connecting = status === 'connecting';

  return (
    <section className="details" data-testid="integration-details" data-integration={metadata.type} aria-labelledby="details-title">
      <button type="button" className="back-link" onClick={onBack}>
        <span aria-hidden="true">←</span> All integrations
      </button>

      <header className="details-head">
        <IntegrationIcon metadata={metadata} size="large" />
        <div>
          <h1 id="details-title">{metadata.name}</h1>
          <StatusBadge status={status} />
        </div>
        <div className="details-actions">
          {accounts.length === 0 ? (
            <button type="button" className="button primary" onClick={() => onConnect()} disabled={connecting}>
              Connect
            </button>
          ) : (
            <button
              type="button"
              className="button primary"
              onClick={() => onConnect({ allowMultipleCredentials: true })}
              disabled={connecting}
            >
              Connect another account
            </button>
          )}
        </div>
      </header>

      <p className="details-description" data-testid="integration-description">
        {metadata.description}
      </p>
      <dl className="details-facts">
        <div>
          <dt>Integration type</dt>
          <dd>
            <code>{metadata.type}</code>
          </dd>
        </div>
        <div>
          <dt>Connects with</dt>
          <dd>{AUTH_LABELS[metadata.authenticationType] ?? metadata.authenticationType}</dd>
        </div>
      </dl>

      <h2 className="section-title">
        Connected accounts <span className="count">{accounts.length}</span>
      </h2>
      {accounts.length === 0 ? (
        <p className="empty" data-testid="no-accounts">
          No account connected yet. Click Connect to add one.
        </p>
      ) : (
        <ul className="accounts" data-testid="account-list">
          {accounts.map((account) => (
            <AccountRow
              key={account.id}
              account={account}
              busy={disconnecting.has(account.id) || disconnecting.has('*')}
              onReconnect={() => onConnect({ selectedCredentialId: account.id })}
              onDisconnect={() => onDisconnect(account.id)}
              onTestRequest={() => props.onTestRequest(account.id)}
              settings={<AccountSettings account={account} loadFields={fields} save={(values) => onSaveSettings(account, values)} />}
            />
          ))}
        </ul>
      )}
      {accounts.length > 0 && <WorkflowsPanel integrationType={metadata.type} integrationName={metadata.name} state={state} onSaveSettings={onSaveWorkflowSettings} />}
    </section>
  );
}

const AUTH_LABELS: Record<string, string> = {
  oauth: 'OAuth sign-in',
  apiKey: 'API key',
  basic: 'Username and password',
  oauthClientCredential: 'OAuth client credentials',
};

function AccountRow({
  account,
  busy,
  onReconnect,
  onDisconnect,
  onTestRequest,
  settings,
}: {
  settings: ReactNode;
  account: ConnectedAccount;
  busy: boolean;
  onReconnect(): void;
  onDisconnect(): void;
  onTestRequest(): Promise<TestResult>;
}) {
  const [result, setResult] = useState<TestResult>();
  const [sending, setSending] = useState(false);
  const name = accountName(account);
  const email = accountEmail(account);
  const invalid = account.status === 'INVALID';

  const send = async () => {
    setSending(true);
    try {
      setResult(await onTestRequest());
    } finally {
      setSending(false);
    }
  };

  return (
    <li className="account" data-testid="account" data-credential-id={account.id} data-account-status={account.status}>
      <div className="account-main">
        <div className="account-who">
          <span className="account-name" data-testid="account-name">
            {name}
          </span>
          {email && (
            <span className="account-email" data-testid="account-email">
              {email}
            </span>
          )}
        </div>
        <StatusBadge
          status={invalid ? 'needs-reconnecting' : account.status === 'PENDING' ? 'connecting' : 'connected'}
          label={ACCOUNT_STATUS_LABELS[account.status]}
          testId="account-status"
        />
      </div>
      <p className="account-meta">
        Credential <code data-testid="credential-id">{account.id}</code>
        {account.providerId && (
          <>
            {' · '}provider id <code>{account.providerId}</code>
          </>
        )}
      </p>
      <div className="account-actions">
        <button type="button" className="button" onClick={send} disabled={sending || invalid}>
          {sending ? 'Sending…' : 'Send a test request'}
        </button>
        {invalid && (
          <button type="button" className="button primary" onClick={onReconnect}>
            Reconnect
          </button>
        )}
        <button type="button" className="button danger-quiet" onClick={onDisconnect} disabled={busy}>
          {busy ? 'Disconnecting…' : 'Disconnect'}
          <span className="visually-hidden"> {name}</span>
        </button>
      </div>
      {!invalid && settings}
      {result && (
        <div className={`test-result ${result.ok ? 'ok' : 'failed'}`} data-testid="test-result" data-ok={String(result.ok)}>
          <p className="test-result-title">
            {result.ok ? (
              <>
                <span aria-hidden="true">✓ </span>GET /me answered
              </>
            ) : (
              <>
                <span aria-hidden="true">✕ </span>
                {result.title}
              </>
            )}
          </p>
          {result.body !== undefined && (
            <pre data-testid="test-response" tabIndex={0} aria-label="Response body">
              {JSON.stringify(result.body, null, 2)}
            </pre>
          )}
        </div>
      )}
    </li>
  );
}
