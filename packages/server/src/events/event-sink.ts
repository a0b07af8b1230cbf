import type { WebhookEventType } from '@switchboard/wire';

/**
 * Something that happened in a project which the customer's backend may want to hear of (webhooks/ delivers it).
 * The domains that cause events publish them here and know nothing of who listens, so imports keep running one way.
 */
export interface PlatformEvent {
  type: WebhookEventType;
  projectId: string;
  /** Ids, types and statuses only: never a token, a secret or a user's data. */
  data: Record<string, string | number | null | Record<string, string>>;
}

export interface EventSink {
  /**
   * Call after the change the event reports has committed. Never rejects: a failure to record the event is logged
   * and must not undo or fail the change itself.
   */
  publish(event: PlatformEvent): Promise<void>;
}

/** Where events go when nothing listens (no job queue to deliver them with). */
export const noEvents: EventSink = { publish: async () => {} };
