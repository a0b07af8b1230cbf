import type { WebhookDeliveryStatus } from '@switchboard/wire';
import type { WebhooksConfig } from '../config.js';
import type { AttemptOutcome } from './send-attempt.js';

/** What follows a try: a final status, or another try after `delaySeconds`. */
export type NextStep = { status: Exclude<WebhookDeliveryStatus, 'PENDING'> } | { status: 'PENDING'; delaySeconds: number };

/**
 * 2xx succeeds. A timeout, no answer, 408, 429 and 5xx are worth another try, after the receiver's Retry-After
 * when it sent one (up to a cap), else the backoff schedule; after the round's last try the delivery is DEAD. Any
 * other answer (a 4xx, a redirect, which is not followed) and a refused address are final: FAILED.
 */
export function nextStep(outcome: AttemptOutcome, triesInRound: number, config: WebhooksConfig): NextStep {
  const status = outcome.statusCode;
  if (status !== null && status >= 200 && status < 300) return { status: 'SUCCEEDED' };
  const retryable = status === null ? outcome.error !== 'UPSTREAM_ADDRESS_BLOCKED' : status === 408 || status === 429 || status >= 500;
  if (!retryable) return { status: 'FAILED' };
  if (triesInRound >= config.maxAttempts) return { status: 'DEAD' };
  const backoff = config.backoffSeconds[Math.min(triesInRound - 1, config.backoffSeconds.length - 1)] ?? 0;
  const asked = outcome.retryAfterMs === undefined ? undefined : Math.min(Math.ceil(outcome.retryAfterMs / 1000), config.maxRetryAfterSeconds);
  return { status: 'PENDING', delaySeconds: asked ?? backoff };
}
