import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { apiError, tooManyRequests } from '../errors.js';
import type { RateLimiter } from '../http/rate-limiter.js';
import { findProject, projectIdForSecretKey, type Project } from '../projects/project-store.js';

function bearer(request: FastifyRequest): string {
  const match = request.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw apiError('SECRET_KEY_MISSING', 'Authorization: Bearer <project secret key> is required');
  return match[1]!;
}

declare module 'fastify' {
  interface FastifyRequest {
    managedProject: Project;
    /** The request came with the instance's admin key rather than the project's secret key. */
    managedByAdmin: boolean;
  }
  interface FastifyContextConfig {
    /** The route also accepts the instance's admin key, for any project (see projectSecretKeyAuth). */
    adminKeyAllowed?: boolean;
  }
}

/**
 * The instance's admin key, compared in constant time. Wrong keys are counted per client address: past the limit,
 * every attempt from that address answers 429 until the budget refills, the right key included (otherwise the
 * limit would still tell a guesser when a guess was right).
 */
export class AdminKeyGuard {
  readonly #expected: Buffer;

  constructor(
    adminKey: string,
    private readonly failures: RateLimiter,
  ) {
    this.#expected = Buffer.from(adminKey);
  }

  /** Whether `given` is the admin key; a wrong one is counted against the request's address. 429 when over. */
  check(request: FastifyRequest, given: string): boolean {
    const outcome = this.failures.peek(request.ip);
    if (!outcome.ok) {
      throw tooManyRequests('RATE_LIMITED', `Too many wrong keys from this address; retry after ${outcome.retryAfterSeconds} s`, outcome.retryAfterSeconds);
    }
    const key = Buffer.from(given);
    if (key.length === this.#expected.length && timingSafeEqual(key, this.#expected)) return true;
    this.failures.take(request.ip);
    return false;
  }
}

/**
 * onRequest hook for /api/v1/projects/:projectId/*: the project's own secret key. Routes marked
 * `config: { adminKeyAllowed: true }` also take the admin key, for any project.
 */
export function projectSecretKeyAuth(context: AppContext, adminKey: AdminKeyGuard) {
  return async (request: FastifyRequest<{ Params: { projectId: string } }>) => {
    const key = bearer(request);
    const keyProjectId = await projectIdForSecretKey(context.db, key);
    if (!keyProjectId) {
      if (request.routeOptions.config.adminKeyAllowed && adminKey.check(request, key)) return manageAsAdmin(context, request);
      throw apiError('SECRET_KEY_INVALID', 'The secret key is not valid');
    }
    if (keyProjectId !== request.params.projectId) throw apiError('SECRET_KEY_WRONG_PROJECT', 'The secret key belongs to another project');
    const project = await findProject(context.db, keyProjectId);
    if (!project) throw apiError('PROJECT_NOT_FOUND', 'No such project');
    request.managedProject = project;
    request.managedByAdmin = false;
  };
}

async function manageAsAdmin(context: AppContext, request: FastifyRequest<{ Params: { projectId: string } }>): Promise<void> {
  const project = await findProject(context.db, request.params.projectId);
  if (!project) throw apiError('PROJECT_NOT_FOUND', 'No such project');
  request.managedProject = project;
  request.managedByAdmin = true;
}

/** onRequest hook for instance-wide routes (creating projects): the admin key. */
export function adminKeyAuth(adminKey: AdminKeyGuard) {
  return async (request: FastifyRequest) => {
    if (!adminKey.check(request, bearer(request))) throw apiError('ADMIN_KEY_INVALID', 'The admin key is not valid');
  };
}
