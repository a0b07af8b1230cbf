import { generateKeyPairSync } from 'node:crypto';

/**
 * A new RS256 key pair: the public key goes to Switchboard (management API), the private key stays on the
 * customer's backend, where it signs user tokens.
 */
export function generateKeys(): string {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return [
    '# Public key: add it to your project (POST /api/v1/projects/<id>/signing-keys).',
    publicKey.trim(),
    '',
    '# Private key: keep it on your backend only; it signs user tokens.',
    privateKey.trim(),
    '',
  ].join('\n');
}
