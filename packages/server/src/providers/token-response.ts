import type { IntegrationDefinition, TokenResponseMapping } from '@switchboard/catalog';
import { isTransientStatus, ProviderError, providerMessageOf } from './errors.js';
import { failsOkFlag, mapResponse, readPath, readString } from './json-path.js';

/** What a token request yields, ready to be stored as a credential. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** ISO time; null when the token never expires. */
  expiresAt: string | null;
  scope?: string;
  extraSecrets: Record<string, string>;
  providerId?: string;
  providerData: Record<string, unknown>;
}

/**
 * Reads a token endpoint's answer with the definition's mapping. Done here rather than with oauth4webapi's
 * response processors, which (rightly, for RFC 6749) refuse Slack's `token_type: bot`, Slack's user-only
 * answers without a top-level token, and GitHub's and Slack's HTTP 200 error bodies.
 */
export function readTokenResponse(
  definition: IntegrationDefinition,
  mapping: TokenResponseMapping | undefined,
  answer: { status: number; body: unknown },
  p: { what: string; secrets: readonly (string | undefined)[]; previousRefreshToken?: string; now?: Date },
): TokenSet {
  const { status, body } = answer;
  const accessToken = readString(body, mapping?.accessTokenPath ?? 'access_token');
  const errorCode = typeof readPath(body, 'error') === 'string' ? (readPath(body, 'error') as string) : undefined;
  const failed = status < 200 || status >= 300 || failsOkFlag(body, mapping) || (errorCode !== undefined && !accessToken);
  if (failed) throw tokenError(definition, mapping, status, body, p);
  if (!accessToken) {
    throw new ProviderError('unavailable', `${definition.name}: the ${p.what} answer carried no access token`, { status });
  }
  const extraSecrets: Record<string, string> = {};
  for (const [name, path] of Object.entries(mapping?.extraSecrets ?? {})) {
    const value = readString(body, path);
    if (value !== undefined) extraSecrets[name] = value;
  }
  const refreshToken = readString(body, mapping?.refreshTokenPath ?? 'refresh_token') ?? p.previousRefreshToken;
  const scope = readString(body, 'scope');
  return {
    accessToken,
    ...(refreshToken !== undefined ? { refreshToken } : {}),
    expiresAt: expiresAt(mapping, body, p.now ?? new Date()),
    ...(scope !== undefined ? { scope } : {}),
    extraSecrets,
    ...mapResponse(body, mapping),
  };
}

function expiresAt(mapping: TokenResponseMapping | undefined, body: unknown, now: Date): string | null {
  const raw = readPath(body, mapping?.expiresInPath ?? 'expires_in');
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
  const lifetime = seconds ?? (mapping?.neverExpires ? undefined : mapping?.defaultExpiresInSeconds);
  return lifetime === undefined || lifetime <= 0 ? null : new Date(now.getTime() + lifetime * 1000).toISOString();
}

function tokenError(
  definition: IntegrationDefinition,
  mapping: TokenResponseMapping | undefined,
  status: number,
  body: unknown,
  p: { what: string; secrets: readonly (string | undefined)[] },
): ProviderError {
  const providerMessage = providerMessageOf(body, p.secrets);
  const code = readString(body, 'error') ?? readString(body, 'error.code') ?? readString(body, 'code') ?? readString(body, 'status');
  const deadGrant = code !== undefined && (code === 'invalid_grant' || (mapping?.invalidGrantErrors ?? []).includes(code));
  const kind = deadGrant ? 'invalid_grant' : isTransientStatus(status) ? 'unavailable' : 'rejected';
  const verb = kind === 'invalid_grant' ? 'is no longer valid' : kind === 'unavailable' ? 'failed' : 'was refused';
  const message = `${definition.name}: ${p.what} ${verb}${providerMessage ? `: ${providerMessage}` : ''}`;
  return new ProviderError(kind, message, { status, ...(providerMessage ? { providerMessage } : {}) });
}
