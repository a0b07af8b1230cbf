import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The content codings a kept answer is offered in, besides none (identity), in the server's order of preference. */
export type ContentCoding = 'br' | 'gzip';
const CODINGS: readonly ContentCoding[] = ['br', 'gzip'];

const compress: Record<ContentCoding, (bytes: Buffer) => Promise<Buffer>> = {
  // Quality 4: within a few per cent of the size of 5 to 9 on JSON at a fraction of the time; 11 takes seconds.
  br: (bytes) =>
    promisify(brotliCompress)(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }),
  gzip: (bytes) => promisify(gzip)(bytes),
};

/**
 * An answer serialized once and sent many times (the SDK listings): its UTF-8 bytes, the same bytes compressed in
 * each coding (built on the first request that accepts it, off the event loop, then kept), and a validator. The
 * ETag is weak because it names the content, not one coding of it: every coding of the same bytes matches it.
 */
export class EncodedAnswer {
  readonly etag: string;
  readonly #coded = new Map<ContentCoding, Promise<Buffer | undefined>>();

  constructor(readonly bytes: Buffer) {
    this.etag = `W/"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
  }

  /** The bytes in `coding`, or undefined when compressing would not make them smaller (a tiny answer). */
  coded(coding: ContentCoding): Promise<Buffer | undefined> {
    let known = this.#coded.get(coding);
    if (!known) {
      // A failed compression is remembered as "none": the plain bytes still serve every request.
      known = compress[coding](this.bytes).then(
        (coded) => (coded.length < this.bytes.length ? coded : undefined),
        () => undefined,
      );
      this.#coded.set(coding, known);
    }
    return known;
  }
}

/**
 * The coding to send for an Accept-Encoding header (RFC 9110 §12.5.3), or undefined for none. Without the header,
 * none: a client that does not say what it decodes gets plain bytes. A coding not listed takes `*`'s weight, else
 * 0; identity takes its own weight, else `*`'s, else the lowest listed; when it is 0 and no coding is acceptable either, the plain bytes go anyway (the RFC allows it; a 406 helps no SDK). On equal
 * weights a coding wins over none, br over gzip.
 */
export function chooseCoding(acceptEncoding: string | undefined): ContentCoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (!name) continue;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    const coding = name === 'x-gzip' ? 'gzip' : name;
    if (Number.isFinite(weight)) weights.set(coding, Math.max(weights.get(coding) ?? 0, Math.min(1, Math.max(0, weight))));
  }
  const weightOf = (coding: string) => weights.get(coding) ?? weights.get('*') ?? 0;
  let best: ContentCoding | undefined;
  // Identity unlisted weighs as little as the least listed coding (as the `negotiator` package has it): listing only
  // `br;q=0.5` still asks for br.
  let bestWeight = weights.get('identity') ?? weights.get('*') ?? Math.min(1, ...weights.values());
  for (const coding of CODINGS) {
    const weight = weightOf(coding);
    if (weight > 0 && (weight > bestWeight || (weight === bestWeight && best === undefined))) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/** Whether an If-None-Match header names this ETag (weak comparison, as the RFC asks for this header) or is `*`. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/** Adds `value` to the reply's Vary header, keeping what CORS (Origin) or others put there. */
function addVary(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('vary');
  const listed = String(current ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!listed.some((name) => name.toLowerCase() === value.toLowerCase())) reply.header('vary', [...listed, value].join(', '));
}

/**
 * Sends a kept answer the way the request can take it: 304 when its If-None-Match already has these bytes, else
 * the smallest coding its Accept-Encoding allows (Fastify sets Content-Length from the Buffer). `private, no-cache`:
 * the answer depends on the user token, so no shared cache keeps it, and a browser asks again each time, with the
 * ETag, so an unchanged catalog costs a 304.
 */
export async function sendEncoded(request: FastifyRequest, reply: FastifyReply, answer: EncodedAnswer, contentType: string): Promise<FastifyReply> {
  addVary(reply, 'Accept-Encoding');
  reply.header('etag', answer.etag).header('cache-control', 'private, no-cache');
  if (matchesEtag(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
  const coding = chooseCoding(request.headers['accept-encoding']);
  const coded = coding && (await answer.coded(coding));
  if (coding && coded) return reply.type(contentType).header('content-encoding', coding).send(coded);
  return reply.type(contentType).send(answer.bytes);
}
