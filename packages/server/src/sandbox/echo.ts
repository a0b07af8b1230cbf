import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { fingerprint } from './accounts.js';

/** JSON and form bodies up to this size are parsed and echoed; larger ones are only measured. */
const PARSE_LIMIT_BYTES = 1024 * 1024;

export interface BodyDigest {
  bytes: number;
  sha256: string;
  contentType: string | null;
  note?: string;
}

/** `body` is the parsed JSON or the form fields themselves (so tests compare it with what they sent), or a
 *  digest for anything else; `bodyType` says which. */
export type EchoedBody =
  | { bodyType: 'empty'; body: null }
  | { bodyType: 'json'; body: unknown }
  | { bodyType: 'form'; body: Record<string, string | string[]> }
  | { bodyType: 'digest'; body: BodyDigest };

/** Headers that carry the caller's credential. Echoed as a fingerprint, so tests can tell which credential
 *  arrived (compare with `credentialFingerprint`) but the secret never travels back through a proxy. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key']);

export function credentialFingerprint(value: string): string {
  const space = value.indexOf(' ');
  const scheme = space > 0 && CREDENTIAL_SCHEME.test(value.slice(0, space)) ? `${value.slice(0, space)} ` : '';
  return `${scheme}[redacted sha256:${fingerprint(scheme ? value.slice(space + 1).trim() : value)}]`;
}
const CREDENTIAL_SCHEME = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function echoHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = CREDENTIAL_HEADERS.has(name)
      ? Array.isArray(value)
        ? value.map(credentialFingerprint)
        : credentialFingerprint(value)
      : value;
  }
  return out;
}

/**
 * Reads the request body as a stream: it is hashed chunk by chunk and kept only while small enough to parse,
 * so a 50 MB upload costs one pass and no second copy.
 */
export async function echoBody(raw: IncomingMessage): Promise<EchoedBody> {
  const contentType = raw.headers['content-type'] ?? null;
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const parseable = mediaType === 'application/json' || mediaType.endsWith('+json') || mediaType === 'application/x-www-form-urlencoded';

  const hash = createHash('sha256');
  let bytes = 0;
  let kept: Buffer[] | undefined = parseable ? [] : undefined;
  for await (const chunk of raw as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    if (kept && bytes <= PARSE_LIMIT_BYTES) kept.push(chunk);
    else kept = undefined;
  }
  if (bytes === 0) return { bodyType: 'empty', body: null };

  const digest: BodyDigest = { bytes, sha256: hash.digest('hex'), contentType };
  if (!kept) {
    return { bodyType: 'digest', body: parseable ? { ...digest, note: 'too large to parse; measured only' } : digest };
  }

  const text = Buffer.concat(kept).toString('utf8');
  if (mediaType === 'application/x-www-form-urlencoded') return { bodyType: 'form', body: formFields(text) };
  try {
    return { bodyType: 'json', body: JSON.parse(text) as unknown };
  } catch {
    return { bodyType: 'digest', body: { ...digest, note: 'invalid JSON; measured only' } };
  }
}

function formFields(text: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const existing = fields[name];
    fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return fields;
}
