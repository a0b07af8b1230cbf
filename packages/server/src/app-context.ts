import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { AccountEvents } from './events/account-events.js';
import type { ServerConfig } from './config.js';
import type { InstallLimiters } from './connect/install-limits.js';
import type { EventSink } from './events/event-sink.js';
import type { UpstreamPools } from './providers/upstream-pools.js';
import type { SecretBox } from './secrets/envelope.js';
import type { Storage } from './storage/database.js';
import type { LookupCaches } from './storage/lookup-caches.js';
import type { Database } from './storage/schema.js';

/** What every route and service needs, built once in app.ts and passed down explicitly. */
export interface AppContext {
  config: ServerConfig;
  storage: Storage;
  db: Kysely<Database>;
  secrets: SecretBox;
  log: FastifyBaseLogger;
  /** Keep-alive connections to providers, with the SSRF guard (proxy and provider engine). */
  upstreams: UpstreamPools;
  /** Per-request lookups served from memory, invalidated on every write (storage/lookup-caches.ts). */
  caches: LookupCaches;
  /** Set when the server starts closing: answers then close their connection (keep-alive would hold close() open). */
  lifecycle: { closing: boolean };
  /** Per-user limits on OAuth starts and typed-credential installs. */
  installLimits: InstallLimiters;
  /** Announces accounts connected, re-authorized or configured (the workflows domain listens). */
  accounts: AccountEvents;
  /** Where credentials and workflow runs report what happened (webhook deliveries subscribe to it). */
  events: EventSink;
}
