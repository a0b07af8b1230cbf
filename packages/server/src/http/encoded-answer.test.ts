import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chooseCoding, EncodedAnswer, matchesEtag } from './encoded-answer.js';

describe('chooseCoding', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['gzip, deflate, br, zstd', 'br'], // what Chromium sends
    ['gzip, deflate', 'gzip'], // what Node's fetch sends
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', 'br'],
    ['deflate', undefined],
    ['identity', undefined],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['br;q=0.2, gzip;q=0.1', 'br'],
    ['br;q=0.5', 'br'], // identity, not listed, weighs as the least listed coding
    ['br;q=0.5, identity', undefined],
    ['br;q=0.5, identity;q=0.1', 'br'],
    ['br;q=0, *', 'gzip'],
    ['*', 'br'],
    ['*;q=0.5, br;q=0.4', 'gzip'],
    ['*;q=0', undefined], // nothing acceptable: plain bytes anyway
    ['gzip;q=0, br;q=0, identity;q=0', undefined],
    ['GZIP ; Q=0.8 , Br ; q=0.9', 'br'],
    ['br;q=nonsense, gzip', 'gzip'],
  ])('%j → %s', (header, coding) => {
    expect(chooseCoding(header)).toBe(coding);
  });
});

describe('matchesEtag', () => {
  const etag = 'W/"abc"';
  it.each([
    [undefined, false],
    ['W/"abc"', true],
    ['"abc"', true],
    ['"x", W/"abc"', true],
    ['*', true],
    ['W/"abd"', false],
    ['abc', false],
  ])('%j → %s', (header, matches) => {
    expect(matchesEtag(header, etag)).toBe(matches);
  });
});

describe('EncodedAnswer', () => {
  const bytes = Buffer.from(JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, name: `Integration ${i}`, description: 'é'.repeat(20) }))));

  it('keeps each coding once, and each decodes to the same bytes', async () => {
    const answer = new EncodedAnswer(bytes);
    const br = await answer.coded('br');
    const gzip = await answer.coded('gzip');
    expect(br!.length).toBeLessThan(bytes.length);
    expect(brotliDecompressSync(br!).equals(bytes)).toBe(true);
    expect(gunzipSync(gzip!).equals(bytes)).toBe(true);
    expect(await answer.coded('br')).toBe(br);
  });

  it('names its content in a weak ETag: other bytes, another ETag', () => {
    expect(new EncodedAnswer(bytes).etag).toMatch(/^W\/"[\w-]{27}"$/);
    expect(new EncodedAnswer(Buffer.from(bytes)).etag).toBe(new EncodedAnswer(bytes).etag);
    expect(new EncodedAnswer(Buffer.concat([bytes, Buffer.from(' ')])).etag).not.toBe(new EncodedAnswer(bytes).etag);
  });

  it('offers no coding of a tiny answer that compressing would make larger', async () => {
    const answer = new EncodedAnswer(Buffer.from('[]'));
    expect(await answer.coded('gzip')).toBeUndefined();
    expect(await answer.coded('br')).toBeUndefined();
  });
});
