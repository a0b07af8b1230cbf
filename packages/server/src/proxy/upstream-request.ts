import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { IntegrationDefinition } from '@switchboard/catalog';
import type { Dispatcher } from 'undici';
import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { templateContext } from '../catalog/provider-settings.js';
import type { UsableCredential } from '../credentials/token-refresh.js';
import { deepFreeze, parseJson } from '../json.js';
import { resolveApiRequest, type ApiRequestParts, type CredentialSecrets } from '../providers/index.js';
import type { CredentialRow } from '../storage/schema.js';
import { inferContentType, upstreamRequestHeaders } from './forward-headers.js';
import { joinUpstreamUrl } from './upstream-url.js';

export interface ProxyBody {
  payload: Buffer | Readable | undefined;
  /** Small bodies are read first so the request can be sent again (after a refresh, on a retry); large ones stream. */
  replayable: boolean;
}

/** What the caller asked the proxy for: the provider path and query as they arrived (checked), method and body. */
export interface CallerRequest {
  /** The caller's headers, as they arrived. */
  headers: IncomingHttpHeaders;
  method: string;
  rawPath: string;
  rawQuery: string;
  body: ProxyBody;
  /** The caller sent `Content-Type: auto`: infer the type from the body. */
  inferContentType: boolean;
  /** The project lets its integrations reach private addresses. */
  allowPrivate: boolean;
}

export interface UpstreamTarget {
  origin: string;
  options: Dispatcher.RequestOptions;
}

/**
 * The request to send the provider: the caller's, under the integration's API base URL, with the credential added;
 * `signal`, when given, says when the caller is gone (undici then stops the provider's request); the streamed
 * path gives none and stops the request itself (dispatch-stream.ts).
 */
export function upstreamRequest(
  context: AppContext,
  integration: ProjectIntegration,
  credential: UsableCredential,
  caller: CallerRequest,
  signal?: Dispatcher.RequestOptions['signal'],
): UpstreamTarget {
  const api = preparedApiRequest(context, integration, credential);
  // The caller's path and query were checked when the request arrived.
  const url = joinUpstreamUrl(api.baseUrl, caller.rawPath, caller.rawQuery, api.query);
  const headers = upstreamRequestHeaders(caller.headers, api.headers);
  const payload = caller.body.payload;
  if (caller.inferContentType && payload !== undefined) {
    headers['content-type'] = Buffer.isBuffer(payload) ? inferContentType(payload) : 'application/octet-stream';
  }
  if (Buffer.isBuffer(payload)) headers['content-length'] = String(payload.length);
  return {
    origin: url.origin,
    options: { path: url.path, method: caller.method as Dispatcher.HttpMethod, headers, body: payload ?? null, signal },
  };
}

/**
 * A credential's API base URL, headers and query, rendered from the integration's templates once per cached
 * credential row (a write gives a new row object) rather than on every call.
 */
const prepared = new WeakMap<CredentialRow, { definition: IntegrationDefinition; secrets: CredentialSecrets; api: Readonly<ApiRequestParts> }>();

function preparedApiRequest(context: AppContext, integration: ProjectIntegration, { row, secrets }: UsableCredential): Readonly<ApiRequestParts> {
  const known = prepared.get(row);
  if (known && known.definition === integration.definition && known.secrets === secrets) return known.api;
  const templates = templateContext(context, parseJson<Record<string, string>>(row.inputs, {}), parseJson<Record<string, unknown>>(row.provider_data, {}));
  const api = deepFreeze(resolveApiRequest(integration.definition, { secrets, context: templates }));
  prepared.set(row, { definition: integration.definition, secrets, api });
  return api;
}
