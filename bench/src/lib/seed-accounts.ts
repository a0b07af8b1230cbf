/**
 * Connected users and their credentials written straight into Switchboard's database, for benches that need far
 * more of them than the API can connect in the time (POST /sdk/credentials asks the upstream first: about 130
 * users a second on 2 cores). It goes through the server's own storage modules, so the rows are what a connect
 * writes: the connected user as its first token call makes it, each credential's secrets sealed by the data dir's
 * (or SWITCHBOARD_MASTER_KEY's) master key with the row's own AAD. Nothing plain is stored. What it skips is the
 * connect's audit-log entry, which the proxy never reads.
 */
import { ensureConnectedUser, insertCredential, loadMasterKeys, openStorage, SecretBox } from '@switchboard/server';

export interface SeedPlan {
  /** Where the server keeps its SQLite file and master key file. */
  dataDir: string;
  /** The server's Postgres URL, when it runs on Postgres. */
  databaseUrl?: string | undefined;
  projectId: string;
  /** The project integration's id (not its type) the credentials belong to. */
  integrationId: string;
  users: number;
  /** Spread over the users: the first `credentials - users` users get two, the rest one. */
  credentials: number;
  /** The token `sub` of user `index`. */
  sub: (index: number) => string;
  /** The connected account's secret fields, as the connect form would send them. */
  fields: Record<string, string>;
  /** Called after each batch with the users written so far. */
  progress?: (users: number) => void;
}

/** Users per transaction: one commit per batch keeps SQLite's fsyncs and Postgres' round trips to commit few. */
const BATCH = 500;

/**
 * Batches in flight at once: on Postgres each write is a round trip, so one batch at a time spends the run waiting
 * (about 35 users a second on a loaded machine); eight keep the pool's connections busy. SQLite runs one write
 * transaction at a time, whatever this says.
 */
const BATCHES_IN_FLIGHT = 8;

export async function seedAccounts(plan: SeedPlan): Promise<void> {
  const storage = await openStorage({ databaseUrl: plan.databaseUrl, dataDir: plan.dataDir });
  const box = new SecretBox(loadMasterKeys({ masterKey: process.env.SWITCHBOARD_MASTER_KEY ?? '', dataDir: plan.dataDir }).keys);
  const twoEach = plan.credentials - plan.users;
  const writeBatch = (start: number, end: number) =>
    storage.db.transaction().execute(async (trx) => {
      for (let index = start; index < end; index += 1) {
        const user = await ensureConnectedUser(trx, plan.projectId, plan.sub(index));
        for (let account = 0; account < (index < twoEach ? 2 : 1); account += 1) {
          await insertCredential(trx, box, { projectId: plan.projectId, connectedUserId: user.id, integrationId: plan.integrationId }, {
            secrets: { fields: plan.fields },
            providerId: null,
            providerData: {},
            inputs: {},
            accountType: null,
            expiresAt: null,
          });
        }
      }
    });
  let next = 0;
  let written = 0;
  try {
    await Promise.all(
      Array.from({ length: BATCHES_IN_FLIGHT }, async () => {
        while (next < plan.users) {
          const start = next;
          const end = (next = Math.min(plan.users, start + BATCH));
          await writeBatch(start, end);
          written += end - start;
          plan.progress?.(written);
        }
      }),
    );
  } finally {
    await storage.close();
  }
}
