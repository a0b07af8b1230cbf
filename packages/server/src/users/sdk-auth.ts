import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { cachedProject, projectOfRequest, type ProjectLookup } from '../projects/project-lookup.js';
import type { Project, SigningKey } from '../projects/project-store.js';
import { cachedConnectedUser, connectedUserOf, type ConnectedUser } from './connected-users.js';
import { parsePermissions, type TokenPermissions } from './permissions.js';
import { bearerToken, knownUserToken, tokenToLookUp, verifyUserToken } from './user-token.js';

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

type SdkRequest = FastifyRequest<{ Params: { projectId: string } }>;

/**
 * Every route of `scope` needs a user token: `request.sdk` is set by an onRequest hook. The property is declared
 * up front, so that every request object has one shape from the start instead of gaining a property in the hook.
 */
export function requireUserToken(scope: FastifyInstance, context: AppContext): void {
  // Set before any handler runs; null only until the hook has run.
  scope.decorateRequest('sdk', null as unknown as SdkPrincipal);
  scope.addHook('onRequest', sdkAuth(context));
}

/** onRequest hook for routes under /projects/:projectId/sdk: unknown project 404, bad token 401. */
function sdkAuth(context: AppContext) {
  const authenticate = async (request: SdkRequest) => {
    const lookup = await projectOfRequest(context, request, request.params.projectId);
    if (!lookup) throw apiError('PROJECT_NOT_FOUND', 'No such project');
    request.sdk = await principalOf(context, lookup.project, lookup.signingKeys, bearerToken(request.headers.authorization));
  };
  // A callback hook, so that a warm request (every call of an SDK session but its first) is answered from memory
  // without a promise; the rest go the async way.
  return (request: SdkRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    let known: SdkPrincipal | undefined;
    try {
      const lookup = cachedProject(context, request.params.projectId);
      known = lookup && principalFromMemory(context, lookup, request.headers.authorization);
    } catch (error) {
      return done(error as Error);
    }
    if (known) {
      request.sdk = known;
      return done();
    }
    authenticate(request).then(() => done(), done);
  };
}

/**
 * The principal of a project found in memory when its verified token and its connected user are in memory too;
 * else undefined. Throws for an Authorization header that is no bearer token at all.
 */
export function principalFromMemory(context: AppContext, lookup: ProjectLookup, authorization: string | undefined): SdkPrincipal | undefined {
  const projectId = lookup.project.id;
  const verified = knownUserToken(tokenToLookUp(authorization), projectId, lookup.signingKeys);
  if (!verified) return undefined;
  const user = cachedConnectedUser(context, projectId, verified.sub);
  if (!user) return undefined;
  return { project: lookup.project, user, claims: verified.claims, permissions: permissionsOf(verified.claims) };
}

/** A verified token's claims are one frozen object per cached token: its permissions are parsed once. */
const parsedPermissions = new WeakMap<object, TokenPermissions>();
function permissionsOf(claims: Record<string, unknown>): TokenPermissions {
  let permissions = parsedPermissions.get(claims);
  if (!permissions) {
    permissions = parsePermissions(claims);
    parsedPermissions.set(claims, permissions);
  }
  return permissions;
}

/** Verifies a user token for a project and finds (or records) its connected user. */
export async function principalOf(context: AppContext, project: Project, keys: readonly SigningKey[], token: string): Promise<SdkPrincipal> {
  const verified = await verifyUserToken(token, project.id, keys);
  // Before the connected user is created: a token refused for its claim changes nothing.
  const permissions = permissionsOf(verified.claims);
  const user = await connectedUserOf(context, project.id, verified.sub);
  return { project, user, claims: verified.claims, permissions };
}
