import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { InstallField, InstallStage, IntegrationMetadata } from '@switchboard/sdk';
import type { FlowView } from '../use-install-flow.js';
import { IntegrationIcon } from './IntegrationIcon.js';

export interface InstallDialogProps {
  flow: FlowView | undefined;
  metadata: IntegrationMetadata | undefined;
  onAccountType(accountType: string): void;
  onSubmit(values: Record<string, string>): void;
  onCancel(): void;
}

const STAGE_TEXT: Record<Exclude<InstallStage['stage'], 'done'>, { intro: string; submit: string }> = {
  accountType: { intro: 'Which kind of account do you want to connect?', submit: 'Continue' },
  preOptions: { intro: 'A few details are needed before you sign in.', submit: 'Continue' },
  credentials: { intro: 'Enter the credentials of the account to connect.', submit: 'Connect' },
  oauth: { intro: '', submit: '' },
  postOptions: { intro: 'Your account is connected. Choose how the integration should work.', submit: 'Save settings' },
};

/**
 * The install form: a modal dialog rendered from the stage the SDK's install flow waits at, built only from the
 * stage's field descriptions.
 */
export function InstallDialog({ flow, metadata, onAccountType, onSubmit, onCancel }: InstallDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const stage = flow?.stage;
  const open = stage !== undefined && stage.stage !== 'done';

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  const name = metadata?.name ?? flow?.integrationType ?? '';

  return (
    <dialog
      ref={dialog}
      className="install-dialog"
      data-testid="install-dialog"
      data-stage={stage?.stage}
      aria-labelledby="install-title"
      onCancel={(event) => {
        // Escape: end the install rather than leave a flow waiting behind a closed dialog.
        event.preventDefault();
        onCancel();
      }}
    >
      {open && flow && (
        <div className="install-body">
          <header className="install-head">
            {metadata && <IntegrationIcon metadata={metadata} />}
            <h2 id="install-title">Connect {name}</h2>
          </header>
          {stage.stage === 'oauth' ? (
            <OAuthWait name={name} onCancel={onCancel} />
          ) : stage.stage === 'accountType' ? (
            <AccountTypeForm key={flow.id} stage={stage} flow={flow} onAccountType={onAccountType} onCancel={onCancel} />
          ) : (
            <FieldsForm
              key={`${flow.id}-${stage.stage}`}
              stage={stage}
              flow={flow}
              intro={STAGE_TEXT[stage.stage].intro}
              submitLabel={STAGE_TEXT[stage.stage].submit}
              onSubmit={onSubmit}
              onCancel={onCancel}
            />
          )}
        </div>
      )}
    </dialog>
  );
}

function OAuthWait({ name, onCancel }: { name: string; onCancel(): void }) {
  return (
    <div className="oauth-wait" data-testid="oauth-wait" role="status">
      <span className="spinner" aria-hidden="true" />
      <p>
        Finish signing in to <strong>{name}</strong> in the window that opened.
      </p>
      <p className="muted">Can’t see it? It may be behind this window.</p>
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function AccountTypeForm({
  stage,
  flow,
  onAccountType,
  onCancel,
}: {
  stage: Extract<InstallStage, { stage: 'accountType' }>;
  flow: FlowView;
  onAccountType(accountType: string): void;
  onCancel(): void;
}) {
  const [choice, setChoice] = useState(stage.options[0]?.id ?? '');
  return (
    <form
      className="install-form"
      data-testid="install-form"
      onSubmit={(event) => {
        event.preventDefault();
        onAccountType(choice);
      }}
    >
      <fieldset className="choices">
        <legend>{STAGE_TEXT.accountType.intro}</legend>
        {stage.options.map((option) => (
          <label key={option.id} className="choice">
            <input type="radio" name="accountType" value={option.id} checked={choice === option.id} onChange={() => setChoice(option.id)} />
            {option.label}
          </label>
        ))}
      </fieldset>
      {flow.formError && <FormError message={flow.formError} />}
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={!choice}>
          {STAGE_TEXT.accountType.submit}
        </button>
      </div>
    </form>
  );
}

function FieldsForm({
  stage,
  flow,
  intro,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  stage: Extract<InstallStage, { fields: InstallField[] }>;
  flow: FlowView;
  intro: string;
  submitLabel: string;
  onSubmit(values: Record<string, string>): void;
  onCancel(): void;
}) {
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(stage.fields.map((field) => [field.id, ''])));
  const optionalOnly = stage.fields.every((field) => !field.required);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Empty optional fields are left out, so the server applies its defaults.
    onSubmit(Object.fromEntries(Object.entries(values).filter(([, value]) => value !== '')));
  };

  return (
    <form className="install-form" data-testid="install-form" data-stage={stage.stage} onSubmit={submit} noValidate={false}>
      <p className="install-intro">{intro}</p>
      {stage.fields.map((field) => (
        <Field
          key={field.id}
          field={field}
          value={values[field.id] ?? ''}
          error={flow.fieldErrors[field.id]}
          disabled={flow.busy}
          onChange={(value) => setValues((previous) => ({ ...previous, [field.id]: value }))}
        />
      ))}
      {flow.formError && <FormError message={flow.formError} />}
      <div className="form-actions">
        {stage.stage === 'postOptions' && optionalOnly ? (
          <button type="button" className="button" onClick={() => onSubmit({})} disabled={flow.busy}>
            Skip
          </button>
        ) : (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="button primary" disabled={flow.busy} aria-busy={flow.busy}>
          {flow.busy ? 'Checking…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

function Field({
  field,
  value,
  error,
  disabled,
  onChange,
}: {
  field: InstallField;
  value: string;
  error: string | undefined;
  disabled: boolean;
  onChange(value: string): void;
}) {
  const base = useId();
  const inputId = `${base}-input`;
  const helpId = `${base}-help`;
  const errorId = `${base}-error`;
  const describedBy = [field.help && helpId, error && errorId].filter(Boolean).join(' ') || undefined;
  const common = {
    id: inputId,
    name: field.id,
    required: field.required,
    disabled,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
    'data-testid': `field-${field.id}`,
  } as const;

  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={inputId}>
        {field.label}
        {!field.required && <span className="optional"> (optional)</span>}
      </label>
      {field.type === 'select' ? (
        <select {...common} value={value} onChange={(event) => onChange(event.target.value)}>
          <option value="">{field.placeholder ?? 'Choose…'}</option>
          {(field.options ?? []).map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      ) : (
        <input
          {...common}
          type={field.type}
          value={value}
          placeholder={field.placeholder}
          pattern={field.pattern}
          autoComplete={field.type === 'password' ? 'off' : undefined}
          spellCheck={false}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
      {field.help && (
        <p id={helpId} className="field-help">
          {field.help}
        </p>
      )}
      {error && (
        <p id={errorId} className="field-error" data-testid={`field-error-${field.id}`} role="alert">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
    </div>
  );
}

function FormError({ message }: { message: string }) {
  return (
    <p className="form-error" data-testid="form-error" role="alert">
      <span aria-hidden="true">⚠ </span>
      {message}
    </p>
  );
}
