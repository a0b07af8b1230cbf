import type { CSSProperties } from 'react';
import type { IntegrationMetadata, IntegrationState } from '@switchboard/sdk';
import { accountName, accountsOf, type IntegrationStatus } from '../status.js';
import { IntegrationIcon } from './IntegrationIcon.js';
import { StatusBadge } from './StatusBadge.js';

export interface IntegrationCardProps {
  metadata: IntegrationMetadata;
  state: IntegrationState | undefined;
  status: IntegrationStatus;
  busy: boolean;
  /** Connect, or reconnect the account that needs it. */
  onConnect(): void;
  onDisconnect(): void;
  onOpen(): void;
  /** Connect Portal mode: open the portal on the connected account (settings, workflows, disconnect). */
  onManage?: () => void;
}

export function IntegrationCard({ metadata, state, status, busy, onConnect, onDisconnect, onOpen, onManage }: IntegrationCardProps) {
  const accounts = accountsOf(state);
  const headingId = `card-${metadata.type}`;
  const summary =
    accounts.length === 0
      ? 'No account connected'
      : accounts.length === 1
        ? accountName(accounts[0]!)
        : `${accounts.length} accounts connected`;

  return (
    <li
      className="card"
      data-testid="integration-card"
      data-integration={metadata.type}
      aria-labelledby={headingId}
      style={{ '--brand': metadata.brandColor } as CSSProperties}
    >
      <div className="card-head">
        <IntegrationIcon metadata={metadata} />
        <div className="card-title">
          <h2 id={headingId}>{metadata.name}</h2>
          <StatusBadge status={status} />
        </div>
      </div>
      <p className="card-description">{metadata.description}</p>
      <p className="card-accounts" data-testid="card-accounts">
        {summary}
      </p>
      <div className="card-actions">
        {status === 'not-connected' || status === 'connecting' ? (
          <button type="button" className="button primary" onClick={onConnect} disabled={status === 'connecting'}>
            Connect<span className="visually-hidden"> {metadata.name}</span>
          </button>
        ) : status === 'needs-reconnecting' ? (
          <button type="button" className="button primary" onClick={onConnect}>
            Reconnect<span className="visually-hidden"> {metadata.name}</span>
          </button>
        ) : onManage ? (
          <button type="button" className="button primary" onClick={onManage}>
            Manage<span className="visually-hidden"> {metadata.name}</span>
          </button>
        ) : null}
        <button type="button" className="button" onClick={onOpen}>
          Details<span className="visually-hidden"> of {metadata.name}</span>
        </button>
        {/* An account that needs reconnecting is repaired (or removed) from its details: one primary action here. */}
        {status === 'connected' && (
          <button type="button" className="button danger-quiet" onClick={onDisconnect} disabled={busy}>
            {busy ? 'Disconnecting…' : 'Disconnect'}
            <span className="visually-hidden"> {metadata.name}</span>
          </button>
        )}
      </div>
    </li>
  );
}
