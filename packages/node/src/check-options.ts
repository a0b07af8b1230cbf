import { SwitchboardError } from './errors.js';

/** A required string option: refused up front, where the mistake is, rather than as a confusing 404 later. */
export function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new SwitchboardError('INVALID_OPTIONS', `${name} must be a non-empty string`);
  return value;
}
