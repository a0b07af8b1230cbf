import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { isoIn, isoNow } from '../clock.js';
import type { EventSink, PlatformEvent } from '../events/event-sink.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { findProject } from '../projects/project-store.js';
import type { WebhookDeliveryRow } from '../storage/schema.js';
import { claimAttempt, endDelivery, insertDeliveries, overdueDeliveries, pruneDeliveries, recordAttempt, reopenDelivery, skipLostAttempt } from './delivery-store.js';
import { signingSecretsOf, subscribedDestinations } from './destination-store.js';
import { nextStep } from './retry-policy.js';
import { sendAttempt } from './send-attempt.js';
import { signedHeaders } from './signing.js';

export const WEBHOOK_DELIVERY_QUEUE = 'webhook-delivery';
export const WEBHOOK_SWEEP_QUEUE = 'webhook-delivery-sweep';
/** How often each instance looks for deliveries whose job was lost or whose worker died mid-try. */
const SWEEP_INTERVAL_SECONDS = 60;
/** A try is overdue this long after its time before the sweep takes it over (pg-boss polls every 2 s). */
const OVERDUE_GRACE_SECONDS = 30;

interface DeliveryJob {
  deliveryId: string;
  /** The try this job makes: a duplicate job for the same try finds it taken and does nothing. */
  attempt: number;
}

/**
 * Webhook delivery: hears the project's events (it is the app's EventSink), records one delivery per subscribed
 * destination, and tries each on the job queue until the receiver answers 2xx, refuses it for good, or the round's
 * tries run out. Each try is logged; the next is its own job, due after the backoff or the receiver's Retry-After.
 */
export class WebhookDeliveries implements EventSink {
  constructor(
    private readonly context: AppContext,
    private readonly jobs: JobQueue,
  ) {}

  async start(): Promise<void> {
    await this.jobs.work<DeliveryJob>(WEBHOOK_DELIVERY_QUEUE, async ({ deliveryId, attempt }) => this.attempt(deliveryId, attempt));
    await this.jobs.work(WEBHOOK_SWEEP_QUEUE, async () => this.sweep());
    await this.jobs.every(WEBHOOK_SWEEP_QUEUE, SWEEP_INTERVAL_SECONDS);
  }

  async publish(event: PlatformEvent): Promise<void> {
    try {
      const destinations = await subscribedDestinations(this.context.db, event.projectId, event.type);
      if (destinations.length === 0) return;
      const payload = JSON.stringify({ type: event.type, timestamp: isoNow(), data: await this.describe(event) });
      const eventId = `msg_${randomUUID().replaceAll('-', '')}`;
      const ids = await insertDeliveries(this.context.db, { projectId: event.projectId, eventId, type: event.type, payload }, destinations.map((d) => d.id));
      for (const deliveryId of ids) await this.enqueue(deliveryId, 1, 0);
    } catch (error) {
      // The change the event reports has happened: its delivery failing to be recorded must not fail it.
      this.context.log.error({ err: error, eventType: event.type, projectId: event.projectId }, 'could not record a webhook event');
    }
  }

  /** Tries a finished delivery again, now, as a new round; false when it is still PENDING. */
  async replay(row: WebhookDeliveryRow): Promise<boolean> {
    const attempt = await reopenDelivery(this.context.db, row);
    if (attempt === undefined) return false;
    await this.enqueue(row.id, attempt, 0);
    return true;
  }

  /** The customer knows their users by their own id (the user token's `sub`), not by Switchboard's row id. */
  private async describe(event: PlatformEvent): Promise<Record<string, unknown>> {
    const { connectedUserId, ...data } = event.data;
    if (typeof connectedUserId !== 'string') return { projectId: event.projectId, ...data };
    const user = await this.context.db.selectFrom('connected_users').select('external_id').where('id', '=', connectedUserId).executeTakeFirst();
    return { projectId: event.projectId, userId: user?.external_id ?? null, ...data };
  }

  private async enqueue(deliveryId: string, attempt: number, delaySeconds: number): Promise<void> {
    await this.jobs.send<DeliveryJob>(WEBHOOK_DELIVERY_QUEUE, { deliveryId, attempt }, { ...(delaySeconds > 0 && { startAfterSeconds: delaySeconds }) });
  }

  private async attempt(deliveryId: string, attempt: number): Promise<void> {
    const { db, config } = this.context;
    const lostAfter = isoIn(Math.ceil(config.webhooks.timeoutMs / 1000) + OVERDUE_GRACE_SECONDS);
    const delivery = await claimAttempt(db, deliveryId, attempt, lostAfter);
    if (!delivery) return;
    const [destination, project] = await Promise.all([
      db.selectFrom('webhook_destinations').selectAll().where('id', '=', delivery.destination_id).executeTakeFirst(),
      findProject(db, delivery.project_id),
    ]);
    if (!destination || !project) return;
    const startedAt = new Date();
    const record = { attempt, startedAt: startedAt.toISOString() };
    if (destination.enabled !== 1) {
      // Disabled since the event: nothing is sent; a replay once it is enabled again sends it.
      await recordAttempt(db, deliveryId, { ...record, durationMs: 0, statusCode: null, error: 'DESTINATION_DISABLED', responseExcerpt: null }, { status: 'FAILED', nextAttemptAt: null });
      return;
    }
    const outcome = await sendAttempt(
      this.context,
      { url: destination.url, allowPrivate: project.allowPrivateUpstreams },
      { headers: signedHeaders(signingSecretsOf(this.context.secrets, destination), delivery.event_id, startedAt, delivery.payload), body: delivery.payload, timeoutMs: config.webhooks.timeoutMs },
    );
    const next = nextStep(outcome, attempt - delivery.round_start, config.webhooks);
    await recordAttempt(db, deliveryId, { ...record, ...outcome }, { status: next.status, nextAttemptAt: next.status === 'PENDING' ? isoIn(next.delaySeconds) : null });
    if (next.status === 'PENDING') await this.enqueue(deliveryId, attempt + 1, next.delaySeconds);
    if (next.status !== 'SUCCEEDED') {
      this.context.log.info({ deliveryId, attempt, status: outcome.statusCode, error: outcome.error, next: next.status }, 'webhook delivery try failed');
    }
  }

  /**
   * Deliveries overdue past the grace: the job for their next try was lost, or their worker died mid-try (that
   * try then counts as made). Each gets a job for the try after the last one started, or is DEAD when that was
   * the round's last. Finished deliveries past the retention are removed.
   */
  async sweep(): Promise<void> {
    const { db, config } = this.context;
    await pruneDeliveries(db, isoIn(-config.webhooks.retentionDays * 86_400));
    for (const overdue of await overdueDeliveries(db, isoIn(-OVERDUE_GRACE_SECONDS))) {
      const row = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', overdue.id).executeTakeFirst();
      if (!row || row.status !== 'PENDING') continue;
      const triesMade = row.attempt_count - row.round_start;
      const lastWasLost = await this.tryWasLost(row);
      if (lastWasLost && triesMade >= config.webhooks.maxAttempts) {
        await endDelivery(db, row.id, 'DEAD');
        continue;
      }
      if (await skipLostAttempt(db, row.id, row.attempt_count, isoIn(OVERDUE_GRACE_SECONDS))) {
        this.context.log.warn({ deliveryId: row.id }, 'queueing again a webhook delivery whose try was lost');
        await this.enqueue(row.id, row.attempt_count + 1, 0);
      }
    }
  }

  /** A try was claimed (attempt_count counts it) but never logged: its worker died. */
  private async tryWasLost(row: WebhookDeliveryRow): Promise<boolean> {
    if (row.attempt_count === row.round_start) return false;
    const logged = await this.context.db.selectFrom('webhook_attempts').select('attempt').where('delivery_id', '=', row.id).where('attempt', '=', row.attempt_count).executeTakeFirst();
    return !logged;
  }
}
