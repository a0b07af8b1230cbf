import { useEffect, useId, useState } from 'react';
import type { FieldSpec, FieldValue } from '../fields.js';

export type OptionsLoader = (field: FieldSpec) => Promise<{ value: string; label: string }[]>;

interface FieldProps {
  field: FieldSpec;
  value: FieldValue;
  error?: string | undefined;
  onChange: (value: FieldValue) => void;
  loadOptions?: OptionsLoader | undefined;
}

/** One labelled input with its help text and its error, tied together for screen readers. */
export function Field({ field, value, error, onChange, loadOptions }: FieldProps) {
  const id = useId();
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy = [field.help && helpId, error && errorId].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: field.id,
    'aria-describedby': describedBy,
    'aria-invalid': error ? true : undefined,
    required: field.required,
  } as const;
  const text = typeof value === 'string' || typeof value === 'number' ? String(value) : '';

  let control: React.ReactNode;
  if (field.kind === 'boolean') {
    return (
      <div className="field field-switch">
        <label htmlFor={id}>
          <input {...common} type="checkbox" role="switch" required={false} checked={value === true} onChange={(event) => onChange(event.target.checked)} />
          <span>{field.label}</span>
        </label>
        {field.help && <p className="help" id={helpId}>{field.help}</p>}
        {error && <p className="error" id={errorId}>{error}</p>}
      </div>
    );
  }
  if (field.kind === 'textarea') {
    control = <textarea {...common} rows={3} placeholder={field.placeholder} value={text} onChange={(event) => onChange(event.target.value)} />;
  } else if (field.kind === 'enum') {
    control = <Select common={common} field={field} options={field.options ?? []} value={text} onChange={onChange} />;
  } else if (field.kind === 'dynamicEnum') {
    control = <DynamicSelect common={common} field={field} value={text} onChange={onChange} loadOptions={loadOptions} />;
  } else if (field.kind === 'fieldMapper') {
    return <FieldMapper field={field} value={typeof value === 'object' ? value : {}} onChange={onChange} helpId={helpId} />;
  } else {
    const type = field.kind === 'number' ? 'number' : field.kind === 'email' ? 'email' : field.kind === 'url' ? 'url' : field.kind === 'password' ? 'password' : 'text';
    control = (
      <input
        {...common}
        type={type}
        placeholder={field.placeholder}
        autoComplete={field.kind === 'password' ? 'off' : undefined}
        spellCheck={field.kind === 'password' ? false : undefined}
        value={text}
        onChange={(event) => onChange(event.target.value)}
      />
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {field.label}
        {!field.required && <span className="optional"> (optional)</span>}
      </label>
      {control}
      {field.help && <p className="help" id={helpId}>{field.help}</p>}
      {error && <p className="error" id={errorId}>{error}</p>}
    </div>
  );
}

interface SelectProps {
  common: Record<string, unknown>;
  field: FieldSpec;
  options: { value: string; label: string }[];
  value: string;
  onChange: (value: FieldValue) => void;
}

function Select({ common, field, options, value, onChange }: SelectProps) {
  return (
    <select {...common} value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">{field.placeholder ?? 'Choose…'}</option>
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  );
}

/** A select whose options come from the provider's API (through the Proxy API), loaded when it is shown. */
function DynamicSelect({ common, field, value, onChange, loadOptions }: Omit<SelectProps, 'options'> & { loadOptions?: OptionsLoader | undefined }) {
  const [state, setState] = useState<{ options?: { value: string; label: string }[]; error?: string }>({});
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!loadOptions) return;
    let live = true;
    setState({});
    loadOptions(field).then(
      (options) => live && setState({ options }),
      (error: unknown) => live && setState({ error: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      live = false;
    };
  }, [field, loadOptions, attempt]);
  if (state.error) {
    return (
      <p className="error" role="alert">
        Could not load the choices: {state.error}{' '}
        <button type="button" className="link" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </p>
    );
  }
  if (!state.options) return <p className="help" role="status">Loading choices…</p>;
  return <Select common={common} field={field} options={state.options} value={value} onChange={onChange} />;
}

/** Maps each of the app's fields (`fields`) to one of the provider's (`options`). */
function FieldMapper({ field, value, onChange, helpId }: { field: FieldSpec; value: Record<string, string>; onChange: (value: FieldValue) => void; helpId: string }) {
  return (
    <fieldset className="field">
      <legend>{field.label}</legend>
      {field.help && <p className="help" id={helpId}>{field.help}</p>}
      {(field.fields ?? []).map((appField) => (
        <label key={appField.value} className="mapping">
          <span>{appField.label}</span>
          <select value={value[appField.value] ?? ''} onChange={(event) => onChange({ ...value, [appField.value]: event.target.value })}>
            <option value="">Not mapped</option>
            {(field.options ?? []).map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      ))}
    </fieldset>
  );
}
