import { fillPlaceholders, templatePlaceholders } from '@switchboard/catalog';
import type { Condition } from '@switchboard/wire';

/** What `{{…}}` can name while a run is at a step. */
export interface VariableScope {
  trigger: unknown;
  steps: Record<string, { output: unknown }>;
  user: { meta: Record<string, unknown> };
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  item?: unknown;
  index?: number;
}

/** The value at a dotted path (`steps.list.output.items.0.id`, `trigger.payload.contacts.length`). */
export function lookup(scope: VariableScope, path: string): unknown {
  let value: unknown = scope;
  for (const part of path.split('.')) {
    if (value === null || value === undefined) return undefined;
    if (part === 'length' && (Array.isArray(value) || typeof value === 'string')) return value.length;
    if (typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const text = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A step's fields with their variables filled in. A string that is one variable alone takes that value as it is
 * (an array stays an array); variables within longer text are written as text (objects as JSON).
 */
export function resolve(value: unknown, scope: VariableScope): unknown {
  if (typeof value === 'string') {
    const names = templatePlaceholders(value);
    if (names.length === 1 && /^\{\{\s*[\w.-]+\s*\}\}$/.test(value.trim())) {
      return lookup(scope, names[0]!);
    }
    return names.length === 0 ? value : fillPlaceholders(value, (name) => text(lookup(scope, name)));
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, scope)]));
  return value;
}

const number = (value: unknown) => (typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN);
const equal = (a: unknown, b: unknown) => (typeof a === 'object' || typeof b === 'object' ? JSON.stringify(a) === JSON.stringify(b) : String(a) === String(b));

/** Whether a condition holds, its sides resolved in the scope. */
export function holds(condition: Condition, scope: VariableScope): boolean {
  if ('all' in condition) return condition.all.every((part) => holds(part, scope));
  if ('any' in condition) return condition.any.some((part) => holds(part, scope));
  if ('not' in condition) return !holds(condition.not, scope);
  const left = resolve(condition.left, scope);
  const right = resolve(condition.right, scope);
  switch (condition.operator) {
    case 'equals':
      return equal(left, right);
    case 'notEquals':
      return !equal(left, right);
    case 'contains':
      return Array.isArray(left) ? left.some((item) => equal(item, right)) : text(left).includes(text(right));
    case 'notContains':
      return !(Array.isArray(left) ? left.some((item) => equal(item, right)) : text(left).includes(text(right)));
    case 'greaterThan':
      return number(left) > number(right);
    case 'lessThan':
      return number(left) < number(right);
    case 'exists':
      return left !== undefined && left !== null && left !== '';
    case 'notExists':
      return left === undefined || left === null || left === '';
    case 'isTrue':
      return left === true || left === 'true';
    case 'isFalse':
      return left === false || left === 'false';
    default:
      return false;
  }
}

/** Every secret value replaced by `[secret]`, for what the run history keeps. */
export function redact(value: unknown, secrets: Record<string, string>): unknown {
  const hidden = Object.values(secrets).filter((secret) => secret.length >= 4);
  if (hidden.length === 0 || value === undefined) return value;
  let json = JSON.stringify(value);
  for (const secret of hidden) json = json.split(JSON.stringify(secret).slice(1, -1)).join('[secret]');
  return JSON.parse(json) as unknown;
}
