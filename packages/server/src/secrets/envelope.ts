import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Envelope encryption with AES-256-GCM: each secret gets a fresh data key, the data key is wrapped by the master
 * key, and both layers are bound to an AAD naming the row and column, so a ciphertext copied into another row
 * does not open. The master key id travels with the ciphertext, so old master keys can be retired after a
 * re-wrap (see rotate-master-key.ts).
 *
 * Format: `sb1.<masterKeyId>.<wrapped data key>.<iv>.<ciphertext+tag>` (base64url parts).
 */
const VERSION = 'sb1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface MasterKey {
  id: string;
  key: Buffer;
}

export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`secret could not be decrypted: ${reason}`);
    this.name = 'SecretDecryptionError';
  }
}

/** A master key's id: a hash prefix, so the same key always has the same id wherever it is loaded from. */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('switchboard-master-key:').update(key).digest('hex').slice(0, 16);
}

function gcmSeal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function gcmOpen(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptionError('too short');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new SecretDecryptionError('authentication failed (wrong key, wrong row, or tampered)');
  }
}

export class SecretBox {
  private readonly keys: Map<string, Buffer>;

  /** `keys[0]` wraps new data keys; every key in the list can unwrap. */
  constructor(keys: MasterKey[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one master key');
    for (const { key } of keys) {
      if (key.length !== 32) throw new Error('a master key must be 32 bytes');
    }
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.activeKeyId = keys[0]!.id;
  }

  readonly activeKeyId: string;

  seal(plaintext: string, aad: string): string {
    const dataKey = randomBytes(32);
    try {
      const wrapped = gcmSeal(this.keys.get(this.activeKeyId)!, dataKey, `${this.activeKeyId}|${aad}`);
      const body = gcmSeal(dataKey, Buffer.from(plaintext, 'utf8'), aad);
      return [VERSION, this.activeKeyId, wrapped.toString('base64url'), body.toString('base64url')].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  open(sealed: string, aad: string): string {
    const { dataKey, body } = this.unwrap(sealed, aad);
    try {
      return gcmOpen(dataKey, body, aad).toString('utf8');
    } finally {
      dataKey.fill(0);
    }
  }

  /** The master key id a sealed value is wrapped with. */
  static keyIdOf(sealed: string): string | undefined {
    return sealed.split('.')[1];
  }

  /** Re-wraps the data key under the active master key; the ciphertext itself is untouched. */
  rewrap(sealed: string, aad: string): string {
    const { keyId, dataKey, body } = this.unwrap(sealed, aad);
    try {
      if (keyId === this.activeKeyId) return sealed;
      const wrapped = gcmSeal(this.keys.get(this.activeKeyId)!, dataKey, `${this.activeKeyId}|${aad}`);
      return [VERSION, this.activeKeyId, wrapped.toString('base64url'), body.toString('base64url')].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  private unwrap(sealed: string, aad: string): { keyId: string; dataKey: Buffer; body: Buffer } {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretDecryptionError('unknown format');
    const [, keyId, wrapped, body] = parts as [string, string, string, string];
    const masterKey = this.keys.get(keyId);
    if (!masterKey) throw new SecretDecryptionError(`master key ${keyId} is not loaded`);
    const dataKey = gcmOpen(masterKey, Buffer.from(wrapped, 'base64url'), `${keyId}|${aad}`);
    return { keyId, dataKey, body: Buffer.from(body, 'base64url') };
  }
}

/** The AAD of a sealed column: table, column and row id. */
export const sealedAad = (table: string, column: string, rowId: string) => `${table}.${column}:${rowId}`;
