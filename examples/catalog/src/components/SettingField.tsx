import type { InstallField } from '@switchboard/sdk';

export interface SettingFieldProps {
  /** The control's id, for its label. */
  id: string;
  field: InstallField;
  /** The saved value, shown first. */
  current: string;
  invalid: boolean;
  /** The id of the message that says what is wrong with it. */
  describedBy?: string | undefined;
}

/** One setting of an account or of a workflow, as its form asks for it: a labelled input or select. */
export function SettingField({ id, field, current, invalid, describedBy }: SettingFieldProps) {
  return (
    <div className={`field${invalid ? ' has-error' : ''}`}>
      <label htmlFor={id}>{field.label}</label>
      {field.type === 'select' ? (
        <select id={id} name={field.id} defaultValue={current} aria-invalid={invalid || undefined} aria-describedby={describedBy}>
          {!field.required && <option value="">Not set</option>}
          {field.options?.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={field.id}
          type={field.type === 'url' ? 'url' : 'text'}
          defaultValue={current}
          required={field.required}
          placeholder={field.placeholder}
          autoComplete="off"
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
        />
      )}
      {field.help && <p className="field-help">{field.help}</p>}
    </div>
  );
}

export interface SettingsFormEndProps {
  /** What is wrong, said next to the buttons; its id lets the field at fault point at it. */
  error: string | undefined;
  errorId?: string;
  errorTestId?: string;
  saving: boolean;
  saveLabel: string;
  onCancel(): void;
}

/** The end of a settings form: the error, if any, then Save and Cancel. */
export function SettingsFormEnd({ error, errorId, errorTestId, saving, saveLabel, onCancel }: SettingsFormEndProps) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert" id={errorId} data-testid={errorTestId}>
          {error}
        </p>
      )}
      <div className="settings-actions">
        <button type="submit" className="button primary small" disabled={saving}>
          {saving ? 'Saving…' : saveLabel}
        </button>
        <button type="button" className="button small" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
      </div>
    </>
  );
}
