/** One SDK event as the log shows it. */
export interface ActivityEntry {
  id: number;
  at: Date;
  event: 'onIntegrationInstall' | 'onIntegrationUninstall';
  integrationType: string;
  integrationName: string;
  credentialIds: string[];
}

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function ActivityLog({ entries, onClear }: { entries: ActivityEntry[]; onClear(): void }) {
  return (
    <section className="activity" aria-labelledby="activity-title">
      <div className="activity-head">
        <h2 id="activity-title">Activity</h2>
        {entries.length > 0 && (
          <button type="button" className="link-button" onClick={onClear}>
            Clear
          </button>
        )}
      </div>
      <p className="muted small">Events from <code>switchboard.subscribe</code>, newest first.</p>
      {entries.length === 0 ? (
        <p className="empty small" data-testid="activity-empty">
          Nothing yet. Connect an integration to see its events here.
        </p>
      ) : (
        <ol className="activity-list" data-testid="activity-log" aria-live="polite">
          {entries.map((entry) => (
            <li
              key={entry.id}
              className={`activity-entry ${entry.event}`}
              data-testid="activity-entry"
              data-event={entry.event}
              data-integration={entry.integrationType}
              data-credential-ids={entry.credentialIds.join(' ')}
            >
              <div className="activity-line">
                <code className="activity-event">{entry.event}</code>
                <time dateTime={entry.at.toISOString()}>{time.format(entry.at)}</time>
              </div>
              <div className="activity-detail">
                {entry.integrationName} <span className="muted">({entry.integrationType})</span>
              </div>
              {entry.credentialIds.map((id) => (
                <div key={id} className="activity-detail muted">
                  credential <code>{id}</code>
                </div>
              ))}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
