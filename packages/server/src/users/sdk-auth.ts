import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { projectOfRequest } from '../projects/project-lookup.js';
import type { Project, SigningKey } from '../projects/project-store.js';
import { connectedUserOf, type ConnectedUser } from './connected-users.js';
import { parsePermissions, type TokenPermissions } from './permissions.js';
import { bearerToken, verifyUserToken } from './user-token.js';

/** Who an SDK request is for, once its user token verified. */
export interface SdkPrincipal {
  project: Project;
  user: ConnectedUser;
  /** The verified token's claims. */
  claims: Record<string, unknown>;
  /** The token's JWT permissions, validated for this request (never stored); empty when it has none. */
  permissions: TokenPermissions;
}

declare module 'fastify' {
  interface FastifyRequest {
    sdk: SdkPrincipal;
  }
}

/** onRequest hook for routes under /projects/:projectId/sdk: unknown project 404, bad token 401. */
export function sdkAuth(context: AppContext) {
  return async (request: FastifyRequest<{ Params: { projectId: string } }>) => {
    const lookup = await projectOfRequest(context, request, request.params.projectId);
    if (!lookup) throw apiError('PROJECT_NOT_FOUND', 'No such project');
    request.sdk = await principalOf(context, lookup.project, lookup.signingKeys, bearerToken(request.headers.authorization));
  };
}

/** Verifies a user token for a project and finds (or records) its connected user. */
export async function principalOf(context: AppContext, project: Project, keys: readonly SigningKey[], token: string): Promise<SdkPrincipal> {
  const verified = await verifyUserToken(token, project.id, keys);
  // Before the connected user is created: a token refused for its claim changes nothing.
  const permissions = parsePermissions(verified.claims);
  const user = await connectedUserOf(context, project.id, verified.sub);
  return { project, user, claims: verified.claims, permissions };
}
