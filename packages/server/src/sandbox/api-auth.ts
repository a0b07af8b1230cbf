import type { IncomingHttpHeaders } from 'node:http';
import type Provider from 'oidc-provider';
import { apiKeyAccount, clientAccount, userAccount, type SandboxAccount } from './accounts.js';

export const API_KEY_PREFIX = 'sbx_';
/** The one password the sandbox's basic-auth login takes; any username is an account of its own. */
export const SANDBOX_PASSWORD = 'sandbox-password';

export type AuthResult =
  | { ok: true; account: SandboxAccount }
  | { ok: false; error: string; message: string; wwwAuthenticate?: string };

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const BASIC = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i;

/**
 * Who is calling the sandbox API. Two kinds of credentials, as real APIs have: access tokens issued by this
 * sandbox's OAuth server (looked up in oidc-provider's own storage, so expiry and revocation are real) and
 * API keys, where any `sbx_...` value is valid and names its own account.
 */
export async function authenticate(provider: Provider, headers: IncomingHttpHeaders): Promise<AuthResult> {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return checkApiKey(apiKey);

  const authorization = headers.authorization;
  if (!authorization) {
    return {
      ok: false,
      error: 'unauthorized',
      message: 'Send an access token (Authorization: Bearer ...), an API key (X-Api-Key: sbx_...) or a basic-auth login',
      wwwAuthenticate: 'Bearer realm="sandbox"',
    };
  }

  const basic = BASIC.exec(authorization)?.[1];
  if (basic) return checkBasic(Buffer.from(basic, 'base64').toString('utf8'));

  const token = BEARER.exec(authorization)?.[1];
  if (!token) {
    return {
      ok: false,
      error: 'unauthorized',
      message: 'The Authorization header must be "Bearer <token>"',
      wwwAuthenticate: 'Bearer realm="sandbox", error="invalid_request"',
    };
  }
  if (token.startsWith(API_KEY_PREFIX)) return checkApiKey(token);

  const account = await findTokenAccount(provider, token);
  if (account) return { ok: true, account };
  return {
    ok: false,
    error: 'invalid_token',
    message: 'The access token is invalid, expired or revoked',
    wwwAuthenticate: 'Bearer realm="sandbox", error="invalid_token"',
  };
}

function checkApiKey(key: string): AuthResult {
  if (key.startsWith(API_KEY_PREFIX) && key.length > API_KEY_PREFIX.length) {
    return { ok: true, account: apiKeyAccount(key) };
  }
  return { ok: false, error: 'invalid_api_key', message: 'API keys start with sbx_' };
}

/** `username:password`: the sandbox password with any non-empty username. */
function checkBasic(decoded: string): AuthResult {
  const colon = decoded.indexOf(':');
  const username = colon > 0 ? decoded.slice(0, colon) : '';
  if (username && decoded.slice(colon + 1) === SANDBOX_PASSWORD) return { ok: true, account: userAccount(username) };
  return {
    ok: false,
    error: 'invalid_login',
    message: 'Wrong username or password',
    wwwAuthenticate: 'Basic realm="sandbox"',
  };
}

async function findTokenAccount(provider: Provider, token: string): Promise<SandboxAccount | undefined> {
  // find() answers undefined for unknown, expired and revoked (destroyed) tokens alike.
  const accessToken = await provider.AccessToken.find(token).catch(() => undefined);
  if (accessToken?.accountId) return userAccount(accessToken.accountId);

  const clientToken = await provider.ClientCredentials.find(token).catch(() => undefined);
  if (clientToken?.clientId) return clientAccount(clientToken.clientId);
  return undefined;
}
