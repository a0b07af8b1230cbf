import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { sealedAad, SecretBox } from './envelope.js';

/** Every sealed column, with the column that names its row in the AAD. */
const SEALED_COLUMNS = [
  { table: 'integrations', column: 'client_secret_sealed', idColumn: 'id' },
  { table: 'credentials', column: 'secrets_sealed', idColumn: 'id' },
  { table: 'oauth_sessions', column: 'code_verifier_sealed', idColumn: 'state' },
  { table: 'oauth_sessions', column: 'secret_inputs_sealed', idColumn: 'state' },
  { table: 'project_secrets', column: 'value_sealed', idColumn: 'id' },
  { table: 'workflow_enablements', column: 'webhook_token_sealed', idColumn: 'id' },
  { table: 'webhook_destinations', column: 'secret_sealed', idColumn: 'id' },
  { table: 'webhook_destinations', column: 'previous_secret_sealed', idColumn: 'id' },
] as const;

/**
 * Re-wraps every data key under the box's active master key (`switchboard keys rotate-master`). Ciphertexts stay;
 * only the small wrapped keys change, row by row, so it is safe to re-run after an interruption.
 */
export async function rewrapAllSecrets(db: Kysely<Database>, box: SecretBox): Promise<{ rewrapped: number; total: number }> {
  let rewrapped = 0;
  let total = 0;
  for (const { table, column, idColumn } of SEALED_COLUMNS) {
    // Dynamic table/column names over a fixed list: Kysely's types cannot follow them.
    const untyped = db as unknown as Kysely<Record<string, Record<string, string | null>>>;
    const rows = await untyped.selectFrom(table).select([idColumn, column]).where(column, 'is not', null).execute();
    for (const row of rows) {
      const id = row[idColumn] as string;
      const sealed = row[column] as string;
      total += 1;
      if (SecretBox.keyIdOf(sealed) === box.activeKeyId) continue;
      const next = box.rewrap(sealed, sealedAad(table, column, id));
      await untyped.updateTable(table).set({ [column]: next }).where(idColumn, '=', id).where(column, '=', sealed).execute();
      rewrapped += 1;
    }
  }
  return { rewrapped, total };
}
