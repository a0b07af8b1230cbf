import type { FastifyInstance } from 'fastify';
import { apiError } from '../errors.js';

/**
 * The deepest nesting of objects and arrays a JSON request body may have (documented in docs/api.md). Validation,
 * merging and serialising a body all walk it recursively: thousands of levels would overflow the stack (a 500).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` nests objects and arrays deeper than `limit`: one pass over the characters, no recursion,
 * stopping as soon as the limit is passed. Brackets inside strings do not count. Malformed JSON is left to
 * JSON.parse, which runs next.
 */
export function jsonNestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

const [QUOTE, BACKSLASH, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET] = ['"', '\\', '{', '}', '[', ']'].map((c) => c.charCodeAt(0)) as [
  number,
  number,
  number,
  number,
  number,
  number,
];

/**
 * The one `application/json` body parser, for every route that reads JSON (the proxy and the sandbox keep their
 * own). An empty body is no body: the reference SDK sends `Content-Type: application/json` on bodiless DELETE and
 * POST calls too. Too deep a body is a 400 `JSON_TOO_DEEP` before it is parsed. Everything else is Fastify's own
 * parser, which refuses `__proto__` and `constructor.prototype` keys.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
      done(apiError('JSON_TOO_DEEP', `The JSON body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`), undefined);
      return;
    }
    parse(request, text, done);
  });
}
