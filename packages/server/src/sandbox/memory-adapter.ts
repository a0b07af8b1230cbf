import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * oidc-provider storage kept in memory, one store per sandbox instance.
 *
 * In-memory is deliberate: the sandbox is a demo and test fixture, and everything it issues may vanish on
 * restart. We do not use oidc-provider's bundled MemoryAdapter because its store is a module-wide LRU of
 * 1000 entries shared by every Provider in the process: two sandboxes in one test run would see each
 * other's tokens, and a busy test run would silently evict live ones.
 */
interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined = never expires. */
  expiresAt: number | undefined;
}

export class SandboxStore {
  private readonly entries = new Map<string, Entry>();
  /** grantId -> keys of the tokens issued under it, so revoking a grant revokes its tokens. */
  private readonly grants = new Map<string, Set<string>>();
  private readonly sessionUids = new Map<string, string>();
  private readonly userCodes = new Map<string, string>();

  /** The adapter factory handed to oidc-provider's `adapter` option. */
  readonly adapterFor = (model: string): Adapter => new SandboxAdapter(this, model);

  get(key: string): AdapterPayload | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model: string, key: string, payload: AdapterPayload, expiresInSeconds: number): void {
    const expiresAt = expiresInSeconds > 0 ? Date.now() + expiresInSeconds * 1000 : undefined;
    this.entries.set(key, { payload, expiresAt });
    if (payload.grantId) {
      let keys = this.grants.get(payload.grantId);
      if (!keys) this.grants.set(payload.grantId, (keys = new Set()));
      keys.add(key);
    }
    // Only sessions are looked up by uid and only device codes by user code; other models carry those
    // fields too (an Interaction has a uid) and must not shadow them.
    if (model === 'Session' && payload.uid) this.sessionUids.set(payload.uid, key);
    if (model === 'DeviceCode' && payload.userCode) this.userCodes.set(payload.userCode, key);
    this.sweepSometimes();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  revokeGrant(grantId: string): void {
    for (const key of this.grants.get(grantId) ?? []) this.entries.delete(key);
    this.grants.delete(grantId);
  }

  byUid(uid: string): AdapterPayload | undefined {
    const key = this.sessionUids.get(uid);
    return key === undefined ? undefined : this.get(key);
  }

  byUserCode(userCode: string): AdapterPayload | undefined {
    const key = this.userCodes.get(userCode);
    return key === undefined ? undefined : this.get(key);
  }

  private writes = 0;

  /** Drop expired entries now and then so a long-running demo server does not grow without bound. */
  private sweepSometimes(): void {
    if (++this.writes % 500 !== 0) return;
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
    }
    for (const [uid, key] of this.sessionUids) if (!this.entries.has(key)) this.sessionUids.delete(uid);
    for (const [code, key] of this.userCodes) if (!this.entries.has(key)) this.userCodes.delete(code);
    for (const [grantId, keys] of this.grants) {
      for (const key of keys) if (!this.entries.has(key)) keys.delete(key);
      if (keys.size === 0) this.grants.delete(grantId);
    }
  }
}

class SandboxAdapter implements Adapter {
  constructor(
    private readonly store: SandboxStore,
    private readonly model: string,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.store.set(this.model, this.key(id), payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.get(this.key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.store.byUid(uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.store.byUserCode(userCode);
  }

  async consume(id: string): Promise<void> {
    const payload = this.store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.revokeGrant(grantId);
  }
}
