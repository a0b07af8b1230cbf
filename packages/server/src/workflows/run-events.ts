import type { PlatformEvent } from '../events/event-sink.js';
import type { RunRow } from './run-store.js';

/** A finished run for the app's event sink: ids and the failure's code, never its inputs, outputs or messages. */
export function runEvent(run: RunRow, outcome: 'succeeded' | 'failed', failure?: { code: string; stepKey?: string | undefined }): PlatformEvent {
  return {
    type: outcome === 'succeeded' ? 'workflow.run.succeeded' : 'workflow.run.failed',
    projectId: run.project_id,
    data: {
      runId: run.id,
      workflowId: run.workflow_id,
      workflowVersion: run.workflow_version,
      connectedUserId: run.connected_user_id,
      credentialId: run.credential_id,
      triggerType: run.trigger_type,
      status: outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED',
      ...(failure && { error: { code: failure.code, ...(failure.stepKey && { stepKey: failure.stepKey }) } }),
    },
  };
}
