import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../storage/database.js';
import { createProject } from './project-store.js';
import { projectOfRequest } from './request-project.js';

describe('projectOfRequest', () => {
  let storage: Storage;
  let dataDir: string;
  let queries = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-request-project-'));
    storage = await openStorage({ dataDir });
  });
  afterAll(async () => {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Counts the queries that reach the database.
  const counting = () =>
    storage.db.withPlugin({
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });

  it('reads the project once per request, and again for another request or another id', async () => {
    const { project } = await createProject(storage.db, { name: 'Request project' });
    const db = counting();
    const first = { raw: {} };
    queries = 0;
    expect((await projectOfRequest(db, first, project.id))?.id).toBe(project.id);
    expect((await projectOfRequest(db, first, project.id))?.id).toBe(project.id);
    expect(queries).toBe(1);
    expect(await projectOfRequest(db, first, 'another-id')).toBeUndefined();
    expect((await projectOfRequest(db, { raw: {} }, project.id))?.id).toBe(project.id);
    expect(queries).toBe(3);
  });
});
