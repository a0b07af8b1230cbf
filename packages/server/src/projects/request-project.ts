import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { findProject, type Project } from './project-store.js';

// CORS (onRequest) and the SDK's auth both need the request's project: look it up once per request.
const lookups = new WeakMap<object, { projectId: string; project: Promise<Project | undefined> }>();

/** The project a request is addressed to, read from the database at most once per request and project id. */
export function projectOfRequest(db: Kysely<Database>, request: { raw: object }, projectId: string): Promise<Project | undefined> {
  const known = lookups.get(request.raw);
  if (known?.projectId === projectId) return known.project;
  const project = findProject(db, projectId);
  lookups.set(request.raw, { projectId, project });
  return project;
}
