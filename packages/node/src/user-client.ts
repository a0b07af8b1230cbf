import { nonEmpty } from './check-options.js';
import { SwitchboardError } from './errors.js';
import { createHttpClient, type CredentialSource } from './http-client.js';
import { encodeProxyBody, type ProxyBody } from './request-body.js';
import { unwrapOutput } from './response-body.js';
import type { ActionToolList, AppEventAccepted, Credential, InstallOptions, IntegrationMetadata, SdkIntegration, UninstallResult, UserState } from './types.js';

/**
 * The SDK REST API from a customer's backend, acting as one connected user (the user token's `sub`): what the
 * browser SDK does, without a browser. Paths and shapes are those of docs/api.md.
 */

/** The header that picks one of the user's accounts when they have several. */
const CREDENTIAL_HEADER = 'x-paragon-credential';

export interface UserClientOptions {
  /** The Switchboard server, e.g. `https://switchboard.example.com`. */
  host: string;
  projectId: string;
  /**
   * The user token, or a function returning one for each call (e.g. `() => signUserToken(key, userId)`), so a
   * long-lived client never sends an expired token. An error thrown by the function rejects the call as it is.
   */
  userToken: CredentialSource;
  /** Per-call limit in milliseconds, answer body included; 0 for none. Default 60 000. */
  timeoutMs?: number;
}

/** Options of a Proxy API call. */
export interface ProxyRequestOptions {
  /** Default `GET`. */
  method?: string;
  /**
   * A plain object, array or other JSON value is sent as JSON; a string, Buffer, Uint8Array or ArrayBuffer as it
   * is (Switchboard infers its type unless you set Content-Type); URLSearchParams, FormData and Blob with their
   * own type.
   */
  body?: ProxyBody;
  /** Headers for the provider (Switchboard adds the account's credential itself). */
  headers?: Record<string, string> | Headers;
  /** The account to use when the user has several; default the user's first valid account. */
  selectedCredentialId?: string;
  signal?: AbortSignal;
}

/** A client of the SDK REST API for one connected user. */
export interface UserClient {
  readonly projectId: string;
  /** `GET /sdk/me`: the user's integrations, accounts and metadata. */
  getUser(): Promise<UserState>;
  /** `PATCH /sdk/me`: merges `meta` into the user's metadata (shallow, at most 64 KB); answers the new state. */
  setUserMetadata(meta: Record<string, unknown>): Promise<UserState>;
  /** `GET /sdk/integrations`: the project's active integrations and what installing each asks for. */
  getIntegrations(): Promise<SdkIntegration[]>;
  /** `GET /sdk/metadata`: name, brand colour and icon URL of each active integration. */
  getIntegrationMetadata(): Promise<IntegrationMetadata[]>;
  /** `GET /sdk/credentials`: the user's accounts, all or of one integration type; never secrets. */
  listCredentials(integrationType?: string): Promise<Credential[]>;
  /**
   * `POST /sdk/credentials`: connects an account with typed credentials (API key, basic auth, OAuth client
   * credentials), checked against the provider first. OAuth integrations connect in the browser instead.
   */
  connectCredential(integrationType: string, payload: Record<string, unknown>, installOptions?: InstallOptions): Promise<Credential>;
  /**
   * A call to the integration's API through the Proxy API, with the user's account. Resolves with the answer's
   * body: parsed JSON for JSON, a string for text and XML, a Buffer otherwise, undefined when empty; an answer
   * that is exactly `{ output: X }` resolves with X. Rejects with SwitchboardApiError (status, body, headers) for
   * a non-2xx answer, the provider's or Switchboard's own.
   *
   * @param integrationType e.g. `salesforce`, `custom.<slug>`.
   * @param path the provider API path, e.g. `/v1/contacts?limit=10`, below the integration's base URL.
   */
  request<T = unknown>(integrationType: string, path: string, options?: ProxyRequestOptions): Promise<T>;
  /**
   * `DELETE /sdk/integrations/:integrationId`: disconnects every account of the integration, or only
   * `selectedCredentialId`. The type is looked up in `GET /sdk/integrations` (an integration's id works too);
   * one the project does not have active rejects with SwitchboardError `INTEGRATION_NOT_FOUND`.
   */
  uninstall(integrationType: string, options?: { selectedCredentialId?: string }): Promise<UninstallResult>;
  /**
   * `POST /sdk/workflows/:id`: turns a published workflow on for the user's account (the first valid one, or
   * `selectedCredentialId`); answers the account, whose `config.configuredWorkflows[id].enabled` is then true.
   */
  enableWorkflow(workflowId: string, options?: { selectedCredentialId?: string }): Promise<Credential>;
  /** `DELETE /sdk/workflows/:id`: turns it off again; its settings are kept. */
  disableWorkflow(workflowId: string, options?: { selectedCredentialId?: string }): Promise<Credential>;
  /** `POST /sdk/events/trigger`: an app event as this user; answers the runs it started. */
  event(name: string, payload?: unknown): Promise<AppEventAccepted>;
  /** `POST /sdk/triggers/:id`: runs a workflow with a Request trigger; answers its Response step's body. */
  workflow<T = unknown>(workflowId: string, options?: { body?: unknown; query?: Record<string, string>; selectedCredentialId?: string }): Promise<T>;
  /**
   * `GET /sdk/actions`: the actions of each integration the user has connected, by integration type, as
   * function-calling tools to give an agent; `integrations` keeps only those types.
   */
  listActions(options?: { integrations?: string[] }): Promise<ActionToolList>;
}

/**
 * Creates a client of the SDK REST API for the user the token names.
 *
 * @example
 * const user = createUserClient({ host, projectId, userToken: () => signUserToken(privateKeyPem, 'user-42') });
 * const contacts = await user.request('hubspot', '/crm/v3/objects/contacts');
 */
export function createUserClient(options: UserClientOptions): UserClient {
  const projectId = nonEmpty(options?.projectId, 'projectId');
  const http = createHttpClient({ host: options.host, credential: options.userToken, credentialName: 'user token', timeoutMs: options.timeoutMs });
  const sdk = `/projects/${encodeURIComponent(projectId)}/sdk`;
  const get = async <T>(path: string) => (await http.call({ method: 'GET', path: `${sdk}${path}` })).body as T;

  return {
    projectId,

    getUser: () => get<UserState>('/me'),

    async setUserMetadata(meta) {
      if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new SwitchboardError('INVALID_OPTIONS', 'meta must be an object');
      return (await http.call({ method: 'PATCH', path: `${sdk}/me`, json: { meta } })).body as UserState;
    },

    getIntegrations: () => get<SdkIntegration[]>('/integrations'),

    getIntegrationMetadata: () => get<IntegrationMetadata[]>('/metadata'),

    listCredentials(integrationType) {
      const query = integrationType === undefined ? '' : `?integration=${encodeURIComponent(nonEmpty(integrationType, 'integrationType'))}`;
      return get<Credential[]>(`/credentials${query}`);
    },

    async connectCredential(integrationType, payload, installOptions) {
      const body = { integrationId: nonEmpty(integrationType, 'integrationType'), payload, ...(installOptions && { installOptions }) };
      return (await http.call({ method: 'POST', path: `${sdk}/credentials`, json: body })).body as Credential;
    },

    async request<T>(integrationType: string, path: string, request: ProxyRequestOptions = {}): Promise<T> {
      const type = nonEmpty(integrationType, 'integrationType');
      if (typeof path !== 'string') throw new SwitchboardError('INVALID_OPTIONS', 'path must be a string such as "/v1/contacts"');
      const method = (request.method ?? 'GET').toString().toUpperCase();
      if (!/^[A-Z]+$/.test(method)) throw new SwitchboardError('INVALID_OPTIONS', 'method must be an HTTP method such as "GET" or "POST"');
      const body = encodeProxyBody(request.body);
      // fetch would refuse it with a TypeError that reads like a network failure.
      if (body.body !== undefined && (method === 'GET' || method === 'HEAD')) throw new SwitchboardError('INVALID_OPTIONS', `A ${method} request cannot have a body`);
      // A copy, so the caller's object is never changed; the HTTP client refuses a bad value without quoting it.
      const callHeaders: Record<string, string> | Headers = request.headers instanceof Headers ? new Headers(request.headers) : { ...request.headers };
      if (request.selectedCredentialId !== undefined) {
        const id = nonEmpty(request.selectedCredentialId, 'selectedCredentialId');
        if (callHeaders instanceof Headers) callHeaders.set(CREDENTIAL_HEADER, id);
        else setHeader(callHeaders, CREDENTIAL_HEADER, id);
      }
      const answer = await http.call({
        method,
        path: `${sdk}/proxy/${encodeURIComponent(type)}/${path.replace(/^\/+/, '')}`,
        body,
        headers: callHeaders,
        signal: request.signal,
      });
      return unwrapOutput(answer.body) as T;
    },

    async uninstall(integrationType, uninstallOptions = {}) {
      const type = nonEmpty(integrationType, 'integrationType');
      // The route takes the integration's id, not its type (as in the reference API): look it up first.
      const integrations = await get<SdkIntegration[]>('/integrations');
      const integration = integrations.find((candidate) => candidate.type === type) ?? integrations.find((candidate) => candidate.id === type);
      if (!integration) throw new SwitchboardError('INTEGRATION_NOT_FOUND', `Integration ${type} is not active in this project`);
      const headers: Record<string, string> = {};
      if (uninstallOptions.selectedCredentialId !== undefined) headers[CREDENTIAL_HEADER] = nonEmpty(uninstallOptions.selectedCredentialId, 'selectedCredentialId');
      return (await http.call({ method: 'DELETE', path: `${sdk}/integrations/${encodeURIComponent(integration.id)}`, headers })).body as UninstallResult;
    },

    enableWorkflow: (workflowId, workflowOptions) => changeWorkflow('POST', workflowId, workflowOptions),
    disableWorkflow: (workflowId, workflowOptions) => changeWorkflow('DELETE', workflowId, workflowOptions),

    async listActions(actionOptions = {}) {
      const query = actionOptions.integrations ? `?integrations=${encodeURIComponent(actionOptions.integrations.join(','))}` : '';
      return (await http.call({ method: 'GET', path: `${sdk}/actions${query}` })).body as ActionToolList;
    },

    async event(name, payload) {
      return (await http.call({ method: 'POST', path: `${sdk}/events/trigger`, json: { name: nonEmpty(name, 'name'), payload: payload ?? {} } })).body as AppEventAccepted;
    },

    async workflow<T>(workflowId: string, triggerOptions: { body?: unknown; query?: Record<string, string>; selectedCredentialId?: string } = {}): Promise<T> {
      const query = triggerOptions.query ? `?${new URLSearchParams(triggerOptions.query)}` : '';
      const headers: Record<string, string> = {};
      if (triggerOptions.selectedCredentialId !== undefined) headers[CREDENTIAL_HEADER] = nonEmpty(triggerOptions.selectedCredentialId, 'selectedCredentialId');
      const path = `${sdk}/triggers/${encodeURIComponent(nonEmpty(workflowId, 'workflowId'))}${query}`;
      return (await http.call({ method: 'POST', path, json: triggerOptions.body ?? {}, headers })).body as T;
    },
  };

  async function changeWorkflow(method: 'POST' | 'DELETE', workflowId: string, workflowOptions: { selectedCredentialId?: string } = {}): Promise<Credential> {
    const headers: Record<string, string> = {};
    if (workflowOptions.selectedCredentialId !== undefined) headers[CREDENTIAL_HEADER] = nonEmpty(workflowOptions.selectedCredentialId, 'selectedCredentialId');
    return (await http.call({ method, path: `${sdk}/workflows/${encodeURIComponent(nonEmpty(workflowId, 'workflowId'))}`, headers })).body as Credential;
  }
}

/** Sets a header in a plain object, replacing any spelling of the same name. */
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) delete headers[key];
  headers[name] = value;
}
