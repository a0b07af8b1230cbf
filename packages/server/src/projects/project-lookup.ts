import type { AppContext } from '../app-context.js';
import { originPolicy, type OriginPolicy } from './allowed-origins.js';
import { findProject, listSigningKeys, type Project, type SigningKey } from './project-store.js';

/** What every SDK request needs of its project: the project, the keys its user tokens verify with, its CORS policy. */
export interface ProjectLookup {
  project: Project;
  signingKeys: SigningKey[];
  /** The project's allowed origins, prepared once (not per request). */
  allowsOrigin: OriginPolicy;
}

// CORS (onRequest) and the SDK's auth both need the request's project: look it up once per request even when the
// caches are off (Postgres, while the invalidation connection is down).
const perRequest = new WeakMap<object, { projectId: string; lookup: Promise<ProjectLookup | undefined> }>();

/** The project a request is addressed to, from memory when warm; undefined for no such project. */
export function projectOfRequest(context: Pick<AppContext, 'db' | 'caches'>, request: { raw: object }, projectId: string): Promise<ProjectLookup | undefined> {
  const known = perRequest.get(request.raw);
  if (known?.projectId === projectId) return known.lookup;
  const lookup = lookupProject(context, projectId);
  perRequest.set(request.raw, { projectId, lookup });
  return lookup;
}

/** The project from memory, or undefined when it is not cached (then `projectOfRequest` reads it). */
export const cachedProject = (context: Pick<AppContext, 'caches'>, projectId: string) => context.caches.peek<ProjectLookup>('project', projectId);

export function lookupProject(context: Pick<AppContext, 'db' | 'caches'>, projectId: string): Promise<ProjectLookup | undefined> {
  return context.caches.get('project', projectId, async () => {
    const [project, keys] = await Promise.all([findProject(context.db, projectId), listSigningKeys(context.db, projectId)]);
    if (!project) return undefined;
    return { project, signingKeys: keys.map(({ id, publicKeyPem }) => ({ id, publicKeyPem })), allowsOrigin: originPolicy(project.allowedOrigins) };
  });
}

/** After a write to the project, its allowed origins or its signing keys (on every instance). */
export const projectChanged = (context: Pick<AppContext, 'db' | 'caches'>, projectId: string, db = context.db) => context.caches.changed(db, 'project', projectId);
