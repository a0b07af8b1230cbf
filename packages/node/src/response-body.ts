/**
 * How an answer's body is read: JSON when the server says JSON, text for text and XML, bytes otherwise. The
 * caller never has to look at content types for the common cases, and binary downloads stay intact.
 */

function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Text in the charset the answer names (UTF-8 when it names none or one Node does not know). */
function decodeText(bytes: Buffer, contentType: string | null): string {
  const charset = /;\s*charset="?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  if (charset) {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // An unknown charset label: UTF-8 is the best guess on the web.
    }
  }
  return bytes.toString('utf8');
}

const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');
const isText = (type: string) => type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml');

/** The body of `response`: parsed JSON, a string or a Buffer; undefined when there is none. */
export async function readResponseBody(response: Response, method: string): Promise<unknown> {
  if (method === 'HEAD' || response.status === 204 || response.status === 304) {
    // Nothing to read, but the connection should not wait on an unread stream.
    await response.body?.cancel();
    return undefined;
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length === 0) return undefined;
  const contentType = response.headers.get('content-type');
  const type = mediaType(contentType);
  if (isJson(type)) {
    const text = decodeText(bytes, contentType);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // A provider that labels broken JSON as JSON: hand back the text rather than lose the answer.
      return text;
    }
  }
  if (isText(type)) return decodeText(bytes, contentType);
  return bytes;
}

/** The reference SDK unwraps a proxy answer that is exactly `{ output: X }` to X; so does this client. */
export function unwrapOutput(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) return body;
  const keys = Object.keys(body);
  return keys.length === 1 && keys[0] === 'output' ? (body as { output: unknown }).output : body;
}

/** Response headers as a plain object with lower-case names (fetch's Headers already joins repeated ones). */
export function headersObject(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
