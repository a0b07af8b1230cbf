import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { masterKeyId, sealedAad, SecretBox, SecretDecryptionError, type MasterKey } from './envelope.js';

const key = (): MasterKey => {
  const bytes = randomBytes(32);
  return { id: masterKeyId(bytes), key: bytes };
};
const AAD = sealedAad('credentials', 'secrets_sealed', 'row-1');

/** Flips one bit of a base64url part of a sealed value. */
function tamper(sealed: string, part: number, byte = 5): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[byte] = bytes[byte]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox (envelope encryption)', () => {
  it('round-trips a secret, including unicode and the empty string', () => {
    const box = new SecretBox([key()]);
    for (const plaintext of ['{"accessToken":"tok_123"}', 'pässwörd ✓', '']) {
      const sealed = box.seal(plaintext, AAD);
      expect(sealed).not.toContain(plaintext || 'never-empty-marker');
      expect(box.open(sealed, AAD)).toBe(plaintext);
    }
  });

  it('names the active master key in the sealed value', () => {
    const active = key();
    const box = new SecretBox([active, key()]);
    const sealed = box.seal('x', AAD);
    expect(sealed.startsWith(`sb1.${active.id}.`)).toBe(true);
    expect(SecretBox.keyIdOf(sealed)).toBe(active.id);
  });

  it('refuses to open with a different AAD (a ciphertext copied into another row or column)', () => {
    const box = new SecretBox([key()]);
    const sealed = box.seal('secret', AAD);
    for (const other of [sealedAad('credentials', 'secrets_sealed', 'row-2'), sealedAad('integrations', 'secrets_sealed', 'row-1'), '']) {
      expect(() => box.open(sealed, other)).toThrow(SecretDecryptionError);
    }
  });

  it('refuses a tampered ciphertext, wrapped key, or key id', () => {
    const box = new SecretBox([key()]);
    const sealed = box.seal('secret value', AAD);
    expect(() => box.open(tamper(sealed, 3), AAD)).toThrow(SecretDecryptionError); // body
    expect(() => box.open(tamper(sealed, 3, 0), AAD)).toThrow(SecretDecryptionError); // iv
    expect(() => box.open(tamper(sealed, 2), AAD)).toThrow(SecretDecryptionError); // wrapped data key
    const parts = sealed.split('.');
    expect(() => box.open([parts[0], 'ffffffffffffffff', parts[2], parts[3]].join('.'), AAD)).toThrow(/not loaded/);
    expect(() => box.open(sealed.slice(0, -4), AAD)).toThrow(SecretDecryptionError);
    expect(() => box.open('sb2' + sealed.slice(3), AAD)).toThrow(/unknown format/);
    expect(() => box.open('plaintext', AAD)).toThrow(/unknown format/);
  });

  it('refuses to open with another master key', () => {
    const sealed = new SecretBox([key()]).seal('secret', AAD);
    expect(() => new SecretBox([key()]).open(sealed, AAD)).toThrow(SecretDecryptionError);
  });

  it('uses a fresh data key and IV per record: the same plaintext twice gives unrelated ciphertexts', () => {
    const box = new SecretBox([key()]);
    const a = box.seal('same plaintext', AAD).split('.');
    const b = box.seal('same plaintext', AAD).split('.');
    expect(a[2]).not.toBe(b[2]); // wrapped data keys differ
    expect(a[3]).not.toBe(b[3]); // bodies differ
    // Not even a shared IV (first 12 bytes of each layer).
    expect(Buffer.from(a[3]!, 'base64url').subarray(0, 12).equals(Buffer.from(b[3]!, 'base64url').subarray(0, 12))).toBe(false);
  });

  it('rotates: [new, old] opens old ciphertexts, rewrap moves them to the new key, then the old key alone no longer opens them', () => {
    const oldKey = key();
    const newKey = key();
    const oldBox = new SecretBox([oldKey]);
    const sealed = oldBox.seal('rotating secret', AAD);

    const both = new SecretBox([newKey, oldKey]);
    expect(both.open(sealed, AAD)).toBe('rotating secret');
    // New secrets are sealed under the new key.
    expect(SecretBox.keyIdOf(both.seal('fresh', AAD))).toBe(newKey.id);

    const rewrapped = both.rewrap(sealed, AAD);
    expect(SecretBox.keyIdOf(rewrapped)).toBe(newKey.id);
    // Only the wrapped data key changes; the ciphertext body stays.
    expect(rewrapped.split('.')[3]).toBe(sealed.split('.')[3]);
    // Rewrapping what is already under the active key is a no-op.
    expect(both.rewrap(rewrapped, AAD)).toBe(rewrapped);

    expect(new SecretBox([newKey]).open(rewrapped, AAD)).toBe('rotating secret');
    expect(() => oldBox.open(rewrapped, AAD)).toThrow(SecretDecryptionError);
    // Rewrap checks the AAD too: it cannot be used to launder a ciphertext into another row.
    expect(() => both.rewrap(sealed, sealedAad('credentials', 'secrets_sealed', 'row-2'))).toThrow(SecretDecryptionError);
  });

  it('refuses an empty key list and keys that are not 32 bytes', () => {
    expect(() => new SecretBox([])).toThrow();
    expect(() => new SecretBox([{ id: 'short', key: randomBytes(16) }])).toThrow(/32 bytes/);
  });

  it('derives a stable, key-specific id', () => {
    const bytes = randomBytes(32);
    expect(masterKeyId(bytes)).toBe(masterKeyId(Buffer.from(bytes)));
    expect(masterKeyId(bytes)).toMatch(/^[0-9a-f]{16}$/);
    expect(masterKeyId(randomBytes(32))).not.toBe(masterKeyId(bytes));
  });
});
