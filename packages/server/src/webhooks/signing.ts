import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { sealedAad, type SecretBox } from '../secrets/envelope.js';

/**
 * Signing secrets and signatures of the Standard Webhooks scheme, through its reference library, so a receiver
 * verifies with the same off-the-shelf code (`new Webhook(secret).verify(body, headers)`).
 */

/** `whsec_` and 32 random bytes in base64: the form the Standard Webhooks libraries read. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const aad = (destinationId: string, column: 'secret_sealed' | 'previous_secret_sealed') => sealedAad('webhook_destinations', column, destinationId);

export const sealSigningSecret = (box: SecretBox, destinationId: string, secret: string, column: 'secret_sealed' | 'previous_secret_sealed' = 'secret_sealed') =>
  box.seal(secret, aad(destinationId, column));

export const openSigningSecret = (box: SecretBox, destinationId: string, sealed: string, column: 'secret_sealed' | 'previous_secret_sealed' = 'secret_sealed') =>
  box.open(sealed, aad(destinationId, column));

/**
 * The three headers of a delivery. With more than one secret (just after a rotation) the signature header carries
 * one signature per secret, space-separated, so receivers still holding the old secret keep verifying.
 */
export function signedHeaders(secrets: readonly string[], eventId: string, timestamp: Date, body: string): Record<string, string> {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(eventId, timestamp, body)).join(' '),
  };
}
