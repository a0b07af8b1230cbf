import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { ApiError, forbidden, notFound, unauthorized } from '../errors.js';
import { findProject, projectIdForSecretKey, type Project } from '../projects/project-store.js';

function bearer(request: FastifyRequest): string {
  const match = request.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw unauthorized('SECRET_KEY_MISSING', 'Authorization: Bearer <project secret key> is required');
  return match[1]!;
}

declare module 'fastify' {
  interface FastifyRequest {
    managedProject: Project;
  }
}

/** onRequest hook for /api/v1/projects/:projectId/*: the project's own secret key, nothing else. */
export function projectSecretKeyAuth(context: AppContext) {
  return async (request: FastifyRequest<{ Params: { projectId: string } }>) => {
    const key = bearer(request);
    const keyProjectId = await projectIdForSecretKey(context.db, key);
    if (!keyProjectId) throw unauthorized('SECRET_KEY_INVALID', 'The secret key is not valid');
    if (keyProjectId !== request.params.projectId) throw forbidden('SECRET_KEY_WRONG_PROJECT', 'The secret key belongs to another project');
    const project = await findProject(context.db, keyProjectId);
    if (!project) throw notFound('PROJECT_NOT_FOUND', 'No such project');
    request.managedProject = project;
  };
}

/** onRequest hook for creating projects: the instance's admin key. */
export function adminKeyAuth(adminKey: string) {
  const expected = Buffer.from(adminKey);
  return async (request: FastifyRequest) => {
    const given = Buffer.from(bearer(request));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError(401, 'ADMIN_KEY_INVALID', 'The admin key is not valid');
    }
  };
}
