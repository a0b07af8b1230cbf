import { useRef, useState } from 'react';
import { fieldProblem, submittedValues, type FieldSpec, type FieldValue } from '../fields.js';
import { Field, type OptionsLoader } from './Field.js';

interface FieldsFormProps {
  fields: readonly FieldSpec[];
  initial?: Record<string, unknown> | undefined;
  submitLabel: string;
  busyLabel: string;
  /** Resolves when done; throws `{ message, field? }` to show the error inline and keep the form. */
  onSubmit: (values: Record<string, unknown>) => Promise<void>;
  loadOptions?: OptionsLoader | undefined;
  /** Said after a successful submit (e.g. "Saved"), announced politely. */
  doneMessage?: string;
  children?: React.ReactNode;
}

const initialValue = (value: unknown): FieldValue =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : value && typeof value === 'object' ? (value as Record<string, string>) : undefined;

/** A form of fields: checked before it is sent, the server's refusal shown inline beside the field it names. */
export function FieldsForm({ fields, initial, submitLabel, busyLabel, onSubmit, loadOptions, doneMessage, children }: FieldsFormProps) {
  const [values, setValues] = useState<Record<string, FieldValue>>(() => Object.fromEntries(fields.map((field) => [field.id, initialValue(initial?.[field.id])])));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const focusField = (id: string) => formRef.current?.querySelector<HTMLElement>(`[name="${CSS.escape(id)}"]`)?.focus();

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const problems: Record<string, string> = {};
    for (const field of fields) {
      const problem = fieldProblem(field, values[field.id]);
      if (problem) problems[field.id] = problem;
    }
    setErrors(problems);
    setFormError(undefined);
    setDone(false);
    const first = fields.find((field) => problems[field.id]);
    if (first) {
      focusField(first.id);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(submittedValues(fields, values));
      setDone(true);
    } catch (error) {
      const { message, field } = error as { message: string; field?: string };
      const id = field?.split('.').pop();
      if (id && fields.some((candidate) => candidate.id === id)) {
        setErrors({ [id]: message });
        focusField(id);
      } else {
        setFormError(message);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate>
      {fields.map((field) => (
        <Field
          key={field.id}
          field={field}
          value={values[field.id]}
          error={errors[field.id]}
          loadOptions={loadOptions}
          onChange={(value) => {
            setValues((current) => ({ ...current, [field.id]: value }));
            setDone(false);
          }}
        />
      ))}
      {formError && (
        <p className="error banner" role="alert">
          {formError}
        </p>
      )}
      <div className="actions">
        {children}
        <button type="submit" className="primary" disabled={busy} aria-disabled={busy}>
          {busy ? busyLabel : submitLabel}
        </button>
      </div>
      <p className="status" role="status">
        {done && doneMessage ? doneMessage : ''}
      </p>
    </form>
  );
}
