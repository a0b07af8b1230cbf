import type { ErrorCode } from '@switchboard/wire';
import type { BrowserEnvironment } from './environment.js';
import {
  IntegrationAlreadyInstalledError,
  IntegrationNotFoundError,
  IntegrationNotInstalledError,
  OAuthTimeoutError,
  SwitchboardError,
  UserNotAuthenticatedError,
  type SwitchboardErrorCode,
} from './errors.js';
import { tokenClaims, tokenExpired } from './user-token.js';

export const SDK_VERSION = '0.1.0';

/** The header Switchboard puts on the errors it produces itself, to tell them from a provider's answer. */
const ERROR_CODE_HEADER = 'x-switchboard-error';

export interface Session {
  host: string;
  projectId: string;
  userToken: string;
  claims: { sub?: string; exp?: number };
}

/** Server codes that have a typed error of their own (keys checked against the server's table). */
const TYPED_ERRORS: Partial<Record<ErrorCode, new (message: string, status?: number) => SwitchboardError>> = {
  INTEGRATION_NOT_FOUND: IntegrationNotFoundError,
  INTEGRATION_ALREADY_INSTALLED: IntegrationAlreadyInstalledError,
  INTEGRATION_NOT_INSTALLED: IntegrationNotInstalledError,
  // The OAuth flow outlived its state on the server.
  OAUTH_STATE_EXPIRED: OAuthTimeoutError,
};

/** The SDK's error for a Switchboard error code: a typed one where there is one. */
export function typedError(code: SwitchboardErrorCode, message: string, status?: number, field?: string): SwitchboardError {
  if (status === 401 && code.startsWith('USER_TOKEN_')) return new UserNotAuthenticatedError(message, 401);
  const Typed = TYPED_ERRORS[code as ErrorCode];
  return Typed ? new Typed(message, status) : new SwitchboardError(message, code, status, field);
}

/** Switchboard's own `{ message, code, field }` error, or undefined when the answer is someone else's (a provider's). */
export async function switchboardErrorOf(response: Response): Promise<SwitchboardError | undefined> {
  const code = response.headers.get(ERROR_CODE_HEADER);
  if (!code) return undefined;
  const body = (await response.json().catch(() => ({}))) as { message?: string; field?: string };
  return typedError(code, body.message ?? `Switchboard answered ${response.status} ${code}`, response.status, body.field);
}

/**
 * Calls the SDK REST API (`/projects/<id>/sdk/...`) as the authenticated user. A token that has expired is refused
 * before any network call; a token the server refuses ends the session (`onSessionEnd`), as the reference SDK does.
 */
export class ApiClient {
  constructor(
    private readonly environment: BrowserEnvironment,
    private readonly session: () => Session | undefined,
    private readonly onSessionEnd: () => void,
  ) {}

  /** The current session, or UserNotAuthenticatedError. */
  current(): Session {
    const session = this.session();
    if (!session) throw new UserNotAuthenticatedError('Call authenticate(projectId, userToken) first');
    if (tokenExpired(session.claims, this.environment.now())) {
      this.onSessionEnd();
      throw new UserNotAuthenticatedError('The user token has expired: authenticate with a fresh one');
    }
    return session;
  }

  /** A raw call: the Response whatever its status, except a refused user token. */
  async send(path: string, init: RequestInit = {}): Promise<Response> {
    const session = this.current();
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${session.userToken}`);
    headers.set('X-Switchboard-SDK-Version', SDK_VERSION);
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    let response: Response;
    try {
      response = await this.environment.fetch(`${session.host}/projects/${encodeURIComponent(session.projectId)}/sdk${path}`, { ...init, headers });
    } catch {
      throw new SwitchboardError(`Could not reach Switchboard at ${session.host}`, 'NETWORK_ERROR');
    }
    if (response.status === 401 && response.headers.get(ERROR_CODE_HEADER)?.startsWith('USER_TOKEN_')) {
      const error = await switchboardErrorOf(response);
      // Only the session that was refused ends: a newer authenticate() may have replaced it meanwhile.
      if (this.session() === session) this.onSessionEnd();
      throw error;
    }
    return response;
  }

  /** A JSON call: the parsed body of a 2xx answer, else a SwitchboardError with the server's code and field. */
  async json<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.send(path, {
      method,
      headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!response.ok) {
      throw (await switchboardErrorOf(response)) ?? new SwitchboardError(`Switchboard answered ${response.status}`, 'UNEXPECTED_RESPONSE', response.status);
    }
    try {
      return (await response.json()) as T;
    } catch {
      throw new SwitchboardError(`${this.current().host} did not answer as a Switchboard server: check configureGlobal({ host })`, 'UNEXPECTED_RESPONSE', response.status);
    }
  }
}
