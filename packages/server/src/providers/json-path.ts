import type { ResponseMapping } from '@switchboard/catalog';

/** Reads a dotted path such as `authed_user.access_token` or `0.id` (array index) from a JSON value. */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A scalar read as a string (ids are often numbers: GitHub, HubSpot, Shopify). */
export function readString(value: unknown, path: string): string | undefined {
  const found = readPath(value, path);
  if (typeof found === 'string' && found !== '') return found;
  if (typeof found === 'number' || typeof found === 'bigint') return String(found);
  return undefined;
}

/** providerId and providerData of an answer, as the definition's mapping says; absent values are left out. */
export function mapResponse(body: unknown, mapping: ResponseMapping | undefined): { providerId?: string; providerData: Record<string, unknown> } {
  const providerData: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(mapping?.providerData ?? {})) {
    const value = readPath(body, path);
    if (value !== undefined && value !== null) providerData[key] = value;
  }
  const providerId = mapping?.providerIdPath ? readString(body, mapping.providerIdPath) : undefined;
  return providerId === undefined ? { providerData } : { providerId, providerData };
}

/** True when the answer says it failed although the HTTP status is 2xx (Slack's `ok: false`). */
export function failsOkFlag(body: unknown, mapping: ResponseMapping | undefined): boolean {
  return mapping?.okPath !== undefined && readPath(body, mapping.okPath) !== true;
}
