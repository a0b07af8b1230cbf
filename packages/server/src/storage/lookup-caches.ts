import { sql, type Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { Storage, StorageLog } from './database.js';
import type { Database } from './schema.js';

/**
 * What the per-request lookups keep in memory, each in a bounded LRU cache of its own. Keys name the project
 * first, so nothing cached for one project can answer a lookup for another:
 * - `project`: `<projectId>` → the project, its signing keys and its CORS policy;
 * - `integrations`: `<projectId>` → the project's integrations with their parsed definitions;
 * - `connected-user`: `<projectId>\n<sub>` → the connected user;
 * - `credentials`: `<projectId>\n<connectedUserId>` → the user's credential rows (secrets still sealed);
 * - `published-workflows`: `<projectId>` → the project's published, active workflows (GET /sdk/integrations lists them).
 */
export type CacheTopic = 'project' | 'integrations' | 'connected-user' | 'credentials' | 'published-workflows';

/** Entries per topic: the memory bound (see docs/performance.md for what they weigh). */
const CAPACITY: Record<CacheTopic, number> = {
  project: 1_000,
  // A project's snapshot holds all its definitions (icons included): fewer of them.
  integrations: 200,
  'connected-user': 20_000,
  credentials: 20_000,
  // A project's published definitions, as the integrations snapshot holds its integrations.
  'published-workflows': 200,
};

/** Postgres: the channel every instance listens on; a payload is `<schema>\t<topic>\t<key>`. */
const CHANNEL = 'switchboard_cache';
/** The payload topic that drops every entry of every topic. */
const FLUSH = '*';
/** After the notification connection drops: first reconnect attempt, then doubling up to the maximum. */
const RECONNECT_MS = { first: 200, max: 5_000 };

type Db = Kysely<Database>;

/** The notification connection's application_name (`:<pid>` follows), as pg_stat_activity shows it. */
export const LISTENER_NAME = 'switchboard-cache-listener';

/**
 * The caches and how they stay right. Every write calls `changed(db, topic, key)`: the entry is dropped here at
 * once, and on Postgres a `NOTIFY` (sent in the writer's transaction, so at its commit) drops it on every
 * instance, this one included. While the notification connection is down (and until it is listening again)
 * nothing is served from or stored in the caches, and each drop and each reconnect flushes them whole: a change
 * missed while deaf is never served. On SQLite one process owns the file, so the local drop is the whole story.
 */
export class LookupCaches {
  private readonly caches = new Map<CacheTopic, LRUCache<string, { value: unknown }>>();
  /** Bumped by every drop of a topic: a lookup that started before the drop must not store what it read. */
  private readonly generations = new Map<CacheTopic, number>();
  private live: boolean;
  private listener: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_MS.first;
  private closed = false;

  private constructor(
    private readonly storage: Storage,
    private readonly options: { databaseUrl?: string | undefined; schema?: string | undefined; log?: StorageLog | undefined },
  ) {
    for (const topic of Object.keys(CAPACITY) as CacheTopic[]) {
      this.caches.set(topic, new LRUCache({ max: CAPACITY[topic] }));
      this.generations.set(topic, 0);
    }
    this.live = storage.dialect === 'sqlite';
  }

  /** Starts listening on Postgres (the caches stay off until the first LISTEN succeeds). */
  static async open(storage: Storage, options: { databaseUrl?: string | undefined; log?: StorageLog }): Promise<LookupCaches> {
    const schema =
      storage.dialect === 'postgres'
        ? ((await sql<{ schema: string | null }>`select current_schema() as schema`.execute(storage.db)).rows[0]?.schema ?? undefined)
        : undefined;
    const caches = new LookupCaches(storage, { ...options, schema });
    if (storage.dialect === 'postgres') await caches.listen();
    return caches;
  }

  /** Whether lookups are served from memory right now (false on Postgres while the notification connection is down). */
  get serving(): boolean {
    return this.live;
  }

  /** The cached value, else `load()`'s, stored unless a write to the topic happened meanwhile. */
  async get<V>(topic: CacheTopic, key: string, load: () => Promise<V>): Promise<V> {
    const cache = this.caches.get(topic)!;
    const hit = this.live ? cache.get(key) : undefined;
    if (hit) return hit.value as V;
    const generation = this.generations.get(topic);
    const value = await load();
    if (this.live && value !== undefined && this.generations.get(topic) === generation) cache.set(key, { value });
    return value;
  }

  /** The cached value if there is one (no load). */
  peek<V>(topic: CacheTopic, key: string): V | undefined {
    return this.live ? (this.caches.get(topic)!.get(key)?.value as V | undefined) : undefined;
  }

  /**
   * After a write (with `db`, a transaction or not): drops the entry here and, on Postgres, tells every instance.
   * Inside a transaction the notification goes out when it commits, so no instance drops before the change is visible.
   */
  async changed(db: Db, topic: CacheTopic, key: string): Promise<void> {
    this.drop(topic, key);
    if (this.storage.dialect !== 'postgres') return;
    await sql`select pg_notify(${CHANNEL}, ${`${this.options.schema ?? ''}\t${topic}\t${key}`})`.execute(db);
  }

  /**
   * Drops everything, here and (Postgres) on every instance: for writes made behind Switchboard's back (SQL by
   * hand, tests). The same as `select pg_notify('switchboard_cache', '<schema>' || chr(9) || '*' || chr(9))`.
   */
  async clear(): Promise<void> {
    this.flush();
    if (this.storage.dialect !== 'postgres') return;
    await sql`select pg_notify(${CHANNEL}, ${`${this.options.schema ?? ''}\t${FLUSH}\t`})`.execute(this.storage.db);
  }

  /** Entries per topic, for the memory figure and tests. */
  sizes(): Record<CacheTopic, number> {
    return Object.fromEntries([...this.caches].map(([topic, cache]) => [topic, cache.size])) as Record<CacheTopic, number>;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    this.flush();
  }

  private drop(topic: CacheTopic, key: string): void {
    this.generations.set(topic, this.generations.get(topic)! + 1);
    this.caches.get(topic)!.delete(key);
  }

  private flush(): void {
    for (const [topic, cache] of this.caches) {
      this.generations.set(topic, this.generations.get(topic)! + 1);
      cache.clear();
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl, keepAlive: true, application_name: `${LISTENER_NAME}:${process.pid}` });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      this.deaf(client, error);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || message.payload === undefined) return;
      const [schema, topic, key] = message.payload.split('\t');
      if (schema !== (this.options.schema ?? '')) return;
      if (topic === FLUSH) return this.flush();
      if (topic === undefined || key === undefined || !this.caches.has(topic as CacheTopic)) return;
      this.drop(topic as CacheTopic, key);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      onLost(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (lost || this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.reconnectDelay = RECONNECT_MS.first;
    // Whatever changed before LISTEN took effect was not heard: start from empty caches.
    this.flush();
    this.live = true;
  }

  /** The notification connection is gone: stop serving from memory, flush, and reconnect. */
  private deaf(client: pg.Client, error: Error | undefined): void {
    this.live = false;
    this.flush();
    if (this.listener === client) this.listener = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.options.log?.warn({ error: error?.message }, 'cache invalidation connection lost: caches off until it is back');
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(delay * 2, RECONNECT_MS.max);
    this.reconnectTimer = setTimeout(() => void this.listen(), delay);
    this.reconnectTimer.unref();
  }
}
