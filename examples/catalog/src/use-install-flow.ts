import { useCallback, useRef, useState } from 'react';
import type { InstallField, InstallStage, SwitchboardSDK } from '@switchboard/sdk';
import { asError, type ErrorLike } from './errors.js';

/** Options a Connect button passes on to the install. */
export interface ConnectOptions {
  allowMultipleCredentials?: boolean;
  /** Re-authorize this account in place (an account that needs reconnecting). */
  selectedCredentialId?: string;
}

/** The install in progress, as the dialog renders it. */
export interface FlowView {
  id: number;
  integrationType: string;
  /** Undefined until the SDK reports the first stage. */
  stage: InstallStage | undefined;
  /** The server's reasons, by the id of the field they name. */
  fieldErrors: Record<string, string>;
  /** A reason that names no field of the stage. */
  formError: string | undefined;
  /** A submitted stage is being checked (e.g. the API key against the provider). */
  busy: boolean;
}

export interface InstallFlowController {
  flow: FlowView | undefined;
  /** Call from a click: an OAuth popup opens within it. */
  connect(integrationType: string, options?: ConnectOptions): void;
  setAccountType(accountType: string): void;
  submitFields(values: Record<string, string>): void;
  cancel(): void;
}

const stageHasFields = (stage: InstallStage | undefined): stage is Extract<InstallStage, { fields: unknown }> =>
  stage !== undefined && 'fields' in stage;

/**
 * The field an error is about: the SDK names a stage's fields by their ids. A rejected credential names no field: with
 * a single field (an API key) it is that one.
 */
function fieldOf(error: ErrorLike, fields: readonly InstallField[]): string | undefined {
  if (error.field) return fields.find((field) => field.id === error.field)?.id;
  if (error.code === 'CREDENTIAL_REJECTED' && fields.length === 1) return fields[0]!.id;
  return undefined;
}

/**
 * Drives `switchboard.installFlow` for the catalog: one install at a time, stages rendered by the caller, refused
 * inputs shown next to their field, anything that ends the flow handed to `onFailure` (a banner).
 */
export function useInstallFlow(
  sdk: SwitchboardSDK,
  onFailure: (error: ErrorLike, integrationType: string, options: ConnectOptions) => void,
): InstallFlowController {
  const [flow, setFlow] = useState<FlowView>();
  // Callbacks of a flow that was replaced or cancelled are ignored: they belong to an older id.
  const currentId = useRef(0);
  const latest = useRef<{ integrationType: string; options: ConnectOptions }>({ integrationType: '', options: {} });

  const update = useCallback((id: number, change: (flow: FlowView) => FlowView | undefined) => {
    setFlow((previous) => (previous && previous.id === id ? change(previous) : previous));
  }, []);

  const end = useCallback((id: number) => {
    if (id !== currentId.current) return;
    currentId.current += 1;
    setFlow(undefined);
  }, []);

  const fail = useCallback(
    (id: number, raw: unknown, stage: InstallStage | undefined) => {
      if (id !== currentId.current) return;
      const error = asError(raw);
      const active = sdk.installFlow.current();
      const refusedInput =
        active !== undefined && active.stage !== 'oauth' && stage?.stage !== 'oauth' && error.name !== 'UserNotAuthenticatedError';
      if (refusedInput) {
        // The flow waits at the same stage: show the reason next to the field it concerns.
        const fieldId = stageHasFields(active) ? fieldOf(error, active.fields) : undefined;
        update(id, (previous) => ({
          ...previous,
          busy: false,
          fieldErrors: fieldId ? { [fieldId]: error.message } : {},
          formError: fieldId ? undefined : error.message,
        }));
        return;
      }
      end(id);
      if (active) sdk.installFlow.cancel();
      onFailure(error, latest.current.integrationType, latest.current.options);
    },
    [sdk, update, end, onFailure],
  );

  const connect = useCallback(
    (integrationType: string, options: ConnectOptions = {}) => {
      if (sdk.installFlow.current()) {
        currentId.current += 1;
        sdk.installFlow.cancel();
      }
      currentId.current += 1;
      const id = currentId.current;
      latest.current = { integrationType, options };
      setFlow({ id, integrationType, stage: undefined, fieldErrors: {}, formError: undefined, busy: false });
      // Synchronously within the caller's click, so that an OAuth popup may open. `start` reports every problem,
      // even an immediate one (popup blocked, already connected), through onError.
      sdk.installFlow.start(integrationType, {
        ...options,
        onNext: (stage) => {
          if (stage.stage === 'done') return end(id);
          update(id, (previous) => ({ ...previous, stage, busy: false, fieldErrors: {}, formError: undefined }));
        },
        onComplete: () => end(id),
        onError: (error, stage) => fail(id, error, stage),
      });
    },
    [sdk, update, end, fail],
  );

  const setAccountType = useCallback(
    (accountType: string) => {
      const id = currentId.current;
      try {
        // Synchronous: the next stage may be the OAuth popup, which must open within this click.
        sdk.installFlow.setAccountType(accountType);
      } catch (error) {
        fail(id, error, sdk.installFlow.current());
      }
    },
    [sdk, fail],
  );

  const submitFields = useCallback(
    (values: Record<string, string>) => {
      const id = currentId.current;
      const stage = sdk.installFlow.current();
      try {
        if (stage?.stage === 'preOptions') {
          // Synchronous, like setAccountType: OAuth follows.
          sdk.installFlow.setPreOptions(values);
          return;
        }
        update(id, (previous) => ({ ...previous, busy: true, fieldErrors: {}, formError: undefined }));
        // Resolves once the step is handled; a refused input arrives through onError, the flow staying at its stage.
        const pending = stage?.stage === 'postOptions' ? sdk.installFlow.setPostOptions(values) : sdk.installFlow.setCredentials(values);
        pending.then(
          () => update(id, (previous) => ({ ...previous, busy: false })),
          (error: unknown) => fail(id, error, stage),
        );
      } catch (error) {
        fail(id, error, stage);
      }
    },
    [sdk, update, fail],
  );

  const cancel = useCallback(() => {
    currentId.current += 1;
    setFlow(undefined);
    if (sdk.installFlow.current()) sdk.installFlow.cancel();
  }, [sdk]);

  return { flow, connect, setAccountType, submitFields, cancel };
}
