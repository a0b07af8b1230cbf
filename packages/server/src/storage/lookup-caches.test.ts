import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from './database.js';
import { LookupCaches } from './lookup-caches.js';

describe('LookupCaches (SQLite: one process, local invalidation)', () => {
  let storage: Storage;
  let dataDir: string;
  let caches: LookupCaches;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-lookup-caches-'));
    storage = await openStorage({ dataDir });
    caches = await LookupCaches.open(storage, {});
  });
  afterAll(async () => {
    await caches.close();
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads once, serves from memory, and loads again after a write names the key', async () => {
    let loads = 0;
    const load = async () => ({ loaded: (loads += 1) });
    expect(await caches.get('project', 'p1', load)).toEqual({ loaded: 1 });
    expect(await caches.get('project', 'p1', load)).toEqual({ loaded: 1 });
    await caches.changed(storage.db, 'project', 'p1');
    expect(await caches.get('project', 'p1', load)).toEqual({ loaded: 2 });
  });

  it('keeps keys and topics apart: one key never answers another', async () => {
    await caches.get('credentials', 'project-a\nuser', async () => 'a');
    expect(await caches.get('credentials', 'project-b\nuser', async () => 'b')).toBe('b');
    expect(await caches.get('connected-user', 'project-a\nuser', async () => 'user')).toBe('user');
    expect(caches.peek('credentials', 'project-a\nuser')).toBe('a');
  });

  it('does not store what a lookup read while a write to the same topic happened', async () => {
    let release!: () => void;
    const slow = caches.get('integrations', 'p2', () => new Promise<string>((resolve) => (release = () => resolve('read before the write'))));
    await caches.changed(storage.db, 'integrations', 'p2');
    release();
    expect(await slow).toBe('read before the write');
    expect(caches.peek('integrations', 'p2')).toBeUndefined();
  });

  it('stores no undefined (an unknown project is looked up again)', async () => {
    let loads = 0;
    for (let i = 0; i < 2; i += 1) await caches.get('project', 'missing', async () => void (loads += 1));
    expect(loads).toBe(2);
  });

  it('clear() drops every topic', async () => {
    await caches.get('project', 'p3', async () => 'x');
    await caches.clear();
    expect(caches.peek('project', 'p3')).toBeUndefined();
  });
});
