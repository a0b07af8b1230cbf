import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { TestServer } from './test-server.js';

/** A fetch against the management API with a bearer key; `json` becomes the body. */
export async function management(
  server: TestServer,
  key: string | undefined,
  method: string,
  path: string,
  json?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${server.url}/api/v1${path}`, { method, headers, ...(json !== undefined && { body: JSON.stringify(json) }) });
}

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKeyPem: string;
}

export function rsaKeyPair(modulusLength = 2048): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** An RS256 user token signed with `privateKey`; `kid: null` leaves the header without a kid. */
export async function signUserToken(
  privateKey: KeyObject,
  sub: string,
  options: { kid?: string | null; claims?: Record<string, unknown>; expiresIn?: string | number } = {},
): Promise<string> {
  return new SignJWT(options.claims ?? {})
    .setProtectedHeader({ alg: 'RS256', ...(options.kid != null && { kid: options.kid }) })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(privateKey);
}

/** A project created through the admin API, with one signing key registered through the management API. */
export interface ManagedProject {
  projectId: string;
  secretKey: string;
  keyId: string;
  keys: RsaKeyPair;
}

export async function createManagedProject(server: TestServer, name: string, keyId = 'main'): Promise<ManagedProject> {
  const created = await management(server, server.adminKey, 'POST', '/projects', { name });
  if (created.status !== 201) throw new Error(`creating a project answered ${created.status}: ${await created.text()}`);
  const { project, secretKey } = (await created.json()) as { project: { id: string }; secretKey: string };
  const keys = rsaKeyPair();
  const added = await management(server, secretKey, 'POST', `/projects/${project.id}/signing-keys`, { id: keyId, publicKeyPem: keys.publicKeyPem });
  if (added.status !== 201) throw new Error(`adding a signing key answered ${added.status}: ${await added.text()}`);
  return { projectId: project.id, secretKey, keyId, keys };
}

/** GET /sdk/me with an Authorization header exactly as given (undefined: none). */
export async function meWith(server: TestServer, authorization: string | undefined, projectId = server.projectId): Promise<Response> {
  return fetch(`${server.url}/projects/${projectId}/sdk/me`, { headers: authorization === undefined ? {} : { authorization } });
}

/**
 * A custom OAuth integration described at run time that points at the server's own sandbox. `secretInput` adds a
 * secret pre-OAuth input field `tenantKey`; `overrides` replace top-level fields.
 */
export function sandboxOAuthCustomIntegration(
  server: TestServer,
  slug: string,
  options: { secretInput?: boolean; overrides?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    slug,
    name: 'Sandbox via OAuth',
    iconSvg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>',
    accentColor: '#7C3AED',
    auth: {
      type: 'oauth2',
      authorizeUrl: `${server.url}/sandbox/auth`,
      tokenUrl: `${server.url}/sandbox/token`,
      clientId: 'sandbox-client',
      clientSecret: 'sandbox-secret',
      scopes: ['openid', 'contacts'],
      ...(options.secretInput && {
        inputFields: [{ id: 'tenantKey', label: 'Tenant key', type: 'password', required: true, secret: true }],
      }),
    },
    apiBaseUrl: `${server.url}/sandbox/api`,
    apiAuthorization: 'Authorization: Bearer {{accessToken}}',
    testEndpointUrl: '/me',
    providerIdPath: 'id',
    ...options.overrides,
  };
}

/** An API-key custom integration (`X-Api-Key: {{apiKey}}`) whose API lives at `apiBaseUrl`; `overrides` replace top-level fields. */
export function apiKeyCustomIntegration(slug: string, apiBaseUrl: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    slug,
    name: `API at ${slug}`,
    iconSvg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>',
    accentColor: '#334155',
    auth: { type: 'api-key', fields: [{ id: 'apiKey', label: 'API key', type: 'password', required: true, secret: true }] },
    apiBaseUrl,
    apiAuthorization: 'X-Api-Key: {{apiKey}}',
    testEndpointUrl: '/ok',
    ...overrides,
  };
}

/** Defines a custom integration through the management API (the dev project unless `project` is given); expects 201. */
export async function defineCustomIntegration(
  server: TestServer,
  definition: Record<string, unknown>,
  project: { projectId: string; secretKey: string } = server,
): Promise<{ id: string; integrationId: string; type: string }> {
  const response = await management(server, project.secretKey, 'POST', `/projects/${project.projectId}/custom-integrations`, definition);
  if (response.status !== 201) throw new Error(`defining a custom integration answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string; integrationId: string; type: string };
}
