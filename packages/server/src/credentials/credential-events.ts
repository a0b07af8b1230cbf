import type { WebhookEventType } from '@switchboard/wire';
import type { PlatformEvent } from '../events/event-sink.js';

/** A credential event for the app's event sink: ids and the integration's type, never the account's secrets. */
export function credentialEvent(
  type: Extract<WebhookEventType, `credential.${string}`>,
  integration: { id: string; type: string },
  credential: { id: string; projectId: string; connectedUserId: string },
  extra: Record<string, string> = {},
): PlatformEvent {
  return {
    type,
    projectId: credential.projectId,
    data: { credentialId: credential.id, connectedUserId: credential.connectedUserId, integrationId: integration.id, integration: integration.type, ...extra },
  };
}
