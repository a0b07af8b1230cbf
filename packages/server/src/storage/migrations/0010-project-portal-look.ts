import type { Kysely } from 'kysely';

/**
 * The project's own look for the Connect Portal (accent colour, theme, font), the default of every integration that
 * sets none. Null is "not set": the integration's look, else the built-in one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['portal_accent_color', 'portal_theme', 'portal_font_family']) {
    await db.schema.alterTable('projects').addColumn(column, 'text').execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['portal_font_family', 'portal_theme', 'portal_accent_color']) {
    await db.schema.alterTable('projects').dropColumn(column).execute();
  }
}
