import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookSignatureSpec } from '@switchboard/catalog';

/** The signature header a provider following `spec` sends for `rawBody`, signed with `secret`. */
export function webhookSignature(spec: WebhookSignatureSpec, secret: string, rawBody: Buffer): string {
  return `${spec.prefix ?? ''}${createHmac('sha256', secret).update(rawBody).digest(spec.encoding)}`;
}

/**
 * Whether `received` is the signature of `rawBody`. Both sides are hashed to the same length first, so the
 * comparison takes the same time whatever the received value's length or content.
 */
export function signatureMatches(spec: WebhookSignatureSpec, secret: string, rawBody: Buffer, received: string | undefined): boolean {
  if (received === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(webhookSignature(spec, secret, rawBody)), digest(received.trim()));
}
