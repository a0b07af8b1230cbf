/**
 * Errors of the provider engine. Messages name the integration and carry the provider's own error text, never a
 * token, secret, key or code: known secret values are redacted before a message is built.
 */

/** `blocked`: the provider's address is private or local and the project does not allow that. */
export type ProviderErrorKind = 'rejected' | 'invalid_grant' | 'unavailable' | 'blocked';

/** A provider refused, or could not be reached. */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly providerMessage?: string;

  constructor(kind: ProviderErrorKind, message: string, details: { status?: number; providerMessage?: string } = {}) {
    super(message);
    this.name = 'ProviderError';
    this.kind = kind;
    if (details.status !== undefined) this.status = details.status;
    if (details.providerMessage !== undefined) this.providerMessage = details.providerMessage;
  }
}

/** A definition or its inputs cannot make a request: unknown placeholder, input refused by its pattern, bad URL. */
export class TemplateError extends Error {
  /** The `{{placeholder}}` at fault, when one is (a value the credential lacks, one refused by its pattern). */
  readonly placeholder?: string;

  constructor(message: string, placeholder?: string) {
    super(message);
    this.name = 'TemplateError';
    if (placeholder !== undefined) this.placeholder = placeholder;
  }
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;

/**
 * The error code and message of a provider's error body, across the shapes seen in the wild: RFC 6749
 * `{ error, error_description }`, Stripe `{ error: { message } }`, Notion `{ code, message }`, HubSpot
 * `{ status, message }`, Shopify `{ errors: '...' }`, JSON:API `{ errors: [{ message }] }`, plain text.
 */
export function describeProviderError(body: unknown): { code?: string; message?: string } {
  if (typeof body === 'string') {
    const text = body.trim().slice(0, 200);
    return text && !text.startsWith('<') ? { message: text } : {};
  }
  const error = field(body, 'error');
  const errors = field(body, 'errors');
  const code = str(error) ?? str(field(error, 'code')) ?? str(field(error, 'type')) ?? str(field(body, 'code')) ?? str(field(body, 'status'));
  const message =
    str(field(body, 'error_description')) ??
    str(field(error, 'message')) ??
    str(field(body, 'message')) ??
    str(errors) ??
    (Array.isArray(errors) ? str(field(errors[0], 'message')) ?? str(errors[0]) : undefined);
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

/** The text for `providerMessage`: `code: message`, either alone, or nothing. */
export function providerMessageOf(body: unknown, secrets: readonly (string | undefined)[]): string | undefined {
  const { code, message } = describeProviderError(body);
  const text = code && message && message !== code ? `${code}: ${message}` : (message ?? code);
  return text === undefined ? undefined : redact(text, secrets).slice(0, 500);
}

/** Replaces every known secret value in a text, so that a provider echoing a key back cannot leak it. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** Retryable statuses: server errors and rate limits. */
export const isTransientStatus = (status: number) => status >= 500 || status === 429 || status === 408;
