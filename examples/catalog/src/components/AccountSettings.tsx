import { useEffect, useId, useState, type FormEvent } from 'react';
import type { ConnectedAccount, InstallField } from '@switchboard/sdk';
import { SettingField, SettingsFormEnd } from './SettingField.js';

export interface AccountSettingsProps {
  account: ConnectedAccount;
  /** The integration's setting fields (its post-install inputs); none means nothing to show. */
  loadFields(): Promise<InstallField[]>;
  save(values: Record<string, string>): Promise<void>;
}

/** An account's saved settings, read from its config, and a form to change them. */
export function AccountSettings({ account, loadFields, save }: AccountSettingsProps) {
  const [fields, setFields] = useState<InstallField[]>();
  const [editing, setEditing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string }>();
  const [saved, setSaved] = useState(false);
  const formId = useId();
  useEffect(() => {
    let live = true;
    loadFields().then(
      (loaded) => live && setFields(loaded),
      () => live && setFields([]),
    );
    return () => {
      live = false;
    };
  }, [loadFields]);

  if (!fields || fields.length === 0) return null;
  const values = (account.config.sharedSettings ?? {}) as Record<string, unknown>;
  const shown = (field: InstallField) => {
    const value = values[field.id];
    if (value === undefined || value === '') return 'Not set';
    return field.options?.find((option) => option.value === value)?.label ?? String(value);
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next = Object.fromEntries(fields.map((field) => [field.id, String(data.get(field.id) ?? '')]));
    setSaving(true);
    setError(undefined);
    try {
      await save(next);
      setEditing(false);
      setSaved(true);
    } catch (raw) {
      const failure = raw as { message?: string; field?: string };
      setError({ message: `${failure.message ?? 'The settings were not saved'}. Check the value and save again.`, ...(failure.field && { field: failure.field }) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="account-settings" data-testid="account-settings">
      <h3 className="settings-title">Settings</h3>
      {!editing ? (
        <>
          <dl className="settings-list">
            {fields.map((field) => (
              <div key={field.id}>
                <dt>{field.label}</dt>
                <dd data-testid={`setting-${field.id}`}>{shown(field)}</dd>
              </div>
            ))}
          </dl>
          <p className="settings-actions">
            <button
              type="button"
              className="button small"
              onClick={() => {
                setSaved(false);
                setEditing(true);
              }}
            >
              Edit settings
            </button>
            {saved && (
              <span className="saved" role="status">
                Settings saved
              </span>
            )}
          </p>
        </>
      ) : (
        <form className="settings-form" onSubmit={submit} aria-label="Account settings">
          {fields.map((field) => {
            const id = `${formId}-${field.id}`;
            const current = typeof values[field.id] === 'string' ? (values[field.id] as string) : '';
            const invalid = error?.field === field.id;
            return <SettingField key={field.id} id={id} field={field} current={current} invalid={invalid} />;
          })}
          <SettingsFormEnd error={error?.message} saving={saving} saveLabel="Save settings" onCancel={() => setEditing(false)} />
        </form>
      )}
    </div>
  );
}
