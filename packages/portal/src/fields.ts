import type { InstallField, SettingInput } from './types.js';

/** One input the portal renders, whichever definition it came from. */
export interface FieldSpec {
  id: string;
  label: string;
  kind: 'text' | 'textarea' | 'number' | 'email' | 'url' | 'password' | 'boolean' | 'enum' | 'dynamicEnum' | 'fieldMapper';
  required: boolean;
  help?: string;
  placeholder?: string;
  pattern?: string;
  options?: { value: string; label: string }[];
  source?: SettingInput['source'];
  fields?: { value: string; label: string }[];
}

/** The reference SDK's input types (its SidebarInputType) the portal renders. */
const REFERENCE_KINDS: Record<string, FieldSpec['kind']> = {
  TEXT: 'text',
  TEXT_NO_VARS: 'text',
  TEXTAREA: 'textarea',
  TEXTAREA_NO_VARS: 'textarea',
  NUMBER: 'number',
  EMAIL: 'email',
  URL: 'url',
  PASSWORD: 'password',
  BOOLEAN_INPUT: 'boolean',
  SWITCH: 'boolean',
  ENUM: 'enum',
  CUSTOM_DROPDOWN: 'enum',
  DYNAMIC_ENUM: 'dynamicEnum',
  FIELD_MAPPER: 'fieldMapper',
};

const labelled = (options: { value: string; label?: string }[] | undefined) => options?.map(({ value, label }) => ({ value, label: label ?? value }));

export function fromInstallField(field: InstallField): FieldSpec {
  return {
    id: field.id,
    label: field.label,
    kind: field.type === 'select' ? 'enum' : field.type,
    required: field.required,
    ...(field.help && { help: field.help }),
    ...(field.placeholder && { placeholder: field.placeholder }),
    ...(field.pattern && { pattern: field.pattern }),
    ...(field.options && { options: field.options }),
  };
}

/** A setting definition, or undefined for an input type the portal does not know (it is left out, not guessed). */
export function fromSettingInput(input: SettingInput): FieldSpec | undefined {
  const kind = REFERENCE_KINDS[input.type ?? 'TEXT'];
  const id = input.id ?? input.key;
  if (!kind || !id) return undefined;
  const options = input.type === 'CUSTOM_DROPDOWN' ? labelled(input.customDropdownOptions) : labelled(input.values);
  return {
    id,
    label: input.title ?? id,
    kind,
    required: input.required ?? false,
    ...(input.tooltip && { help: input.tooltip }),
    ...(input.placeholder && { placeholder: input.placeholder }),
    ...(options && { options }),
    ...(input.source && { source: input.source }),
    ...(input.fields && { fields: labelled(input.fields) }),
  };
}

export type FieldValue = string | number | boolean | Record<string, string> | undefined;

/** What is wrong with a value, in words a user can act on; undefined when it is fine. */
export function fieldProblem(field: FieldSpec, value: FieldValue): string | undefined {
  const empty = value === undefined || value === '' || (typeof value === 'object' && Object.keys(value).length === 0);
  if (empty) return field.required && field.kind !== 'boolean' ? `Enter ${field.label.toLowerCase()}.` : undefined;
  if (typeof value !== 'string') return undefined;
  if (field.kind === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return `${field.label} must be an email address, like name@example.com.`;
  if (field.kind === 'url') {
    try {
      const url = new URL(value);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
    } catch {
      return `${field.label} must be a web address starting with https://.`;
    }
  }
  if (field.pattern) {
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(`^(?:${field.pattern})$`, 'u');
    } catch {
      pattern = undefined;
    }
    if (pattern && !pattern.test(value)) return field.placeholder ? `${field.label} should look like ${field.placeholder}.` : `${field.label} is not in the expected format.`;
  }
  return undefined;
}

/** The values as the server stores them: numbers as numbers, empty optional fields left out. */
export function submittedValues(fields: readonly FieldSpec[], values: Record<string, FieldValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field.id];
    if (value === undefined || value === '') continue;
    out[field.id] = field.kind === 'number' && typeof value === 'string' ? Number(value) : value;
  }
  return out;
}
