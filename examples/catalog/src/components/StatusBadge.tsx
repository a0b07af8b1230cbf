import { STATUS_LABELS, type IntegrationStatus } from '../status.js';

const SYMBOLS: Record<IntegrationStatus, string> = {
  connected: '●',
  'not-connected': '○',
  'needs-reconnecting': '!',
  connecting: '↻',
};

/** A status in words, with a symbol and colour as extra cues (never colour alone). */
export function StatusBadge({ status, label, testId = 'integration-status' }: { status: IntegrationStatus; label?: string; testId?: string }) {
  return (
    <span className={`badge ${status}`} data-testid={testId} data-status={status}>
      <span className="badge-symbol" aria-hidden="true">
        {SYMBOLS[status]}
      </span>
      {label ?? STATUS_LABELS[status]}
    </span>
  );
}
