import type { Credential, CredentialInstall } from '@switchboard/wire';
import { NoActiveInstallFlowError, SwitchboardError } from './errors.js';
import { callSafely } from './events.js';
import { fieldProblem, serverInstallOptions, type IntegrationInfo } from './integrations.js';
import { openOAuthPopup } from './oauth-popup.js';
import type { Switchboard } from './sdk.js';
import type { InstallFlow, InstallFlowCallbacks, InstallOptions, InstallStage, InstallStageName, IntegrationInstallEvent } from './types.js';

type StartOptions = Parameters<InstallFlow['start']>[1];

interface ActiveFlow {
  integration: IntegrationInfo;
  callbacks: InstallFlowCallbacks;
  installOptions: InstallOptions;
  abort: AbortController;
  stage?: InstallStage;
  /** Set once the account is connected. */
  installed?: IntegrationInstallEvent;
  busy: boolean;
}

const invalidField = (problem: { field: string; message: string }) => new SwitchboardError(problem.message, 'INVALID_FIELD', 400, problem.field);

/** Where the server names a stage's field (`payload.apiKey`); errors name it by the field's own id (`apiKey`). */
const FIELD_PREFIX = /^(payload|installOptions\.preOptions|(config\.)?sharedSettings)\./;

function byFieldId(error: Error): Error {
  if (!(error instanceof SwitchboardError) || !error.field || !FIELD_PREFIX.test(error.field)) return error;
  return new SwitchboardError(error.message, error.code, error.status, error.field.replace(FIELD_PREFIX, ''));
}

/**
 * The headless install flow: the stages an install needs the user for (`accountType`, `preOptions`, `credentials`,
 * `oauth`, `postOptions`, then `done`), each described by its fields so a customer renders them with their own
 * components. A refused input keeps the flow at its stage; a failed or closed OAuth popup ends it.
 */
export class HeadlessInstallFlow implements InstallFlow {
  private flow: ActiveFlow | undefined;

  constructor(private readonly sdk: Switchboard) {}

  start(integrationType: string, options: StartOptions = {}): void {
    this.cancel();
    const { onNext, onComplete, onError, ...installOptions } = options;
    try {
      this.sdk.api.current();
      const integration = this.sdk.integration(integrationType);
      this.sdk.checkCanInstall(integration, installOptions);
      // The customer's callbacks run isolated: one that throws must not leave a popup open or the flow stuck.
      const callbacks: InstallFlowCallbacks = {
        onNext: (stage) => callSafely(() => onNext?.(stage)),
        onComplete: (event, user) => callSafely(() => onComplete?.(event, user)),
        onError: (error, stage) => callSafely(() => onError?.(error, stage)),
      };
      this.flow = { integration, callbacks, installOptions: { ...installOptions }, abort: new AbortController(), busy: false };
      this.advance(this.flow);
    } catch (error) {
      onError?.(error as Error, undefined);
    }
  }

  current(): InstallStage | undefined {
    return this.flow?.stage;
  }

  setAccountType(accountType: string): void {
    const flow = this.at('accountType');
    const stage = flow.stage as Extract<InstallStage, { stage: 'accountType' }>;
    if (!stage.options.some((option) => option.id === accountType)) {
      return this.refuse(flow, new SwitchboardError(`accountType must be one of ${stage.options.map((o) => o.id).join(', ')}`, 'INVALID_FIELD', 400, 'accountType'));
    }
    flow.installOptions.accountType = accountType;
    this.advance(flow);
  }

  setPreOptions(values: Record<string, string>): void {
    const flow = this.at('preOptions');
    const problem = fieldProblem(flow.integration.preOAuthInputs ?? [], values ?? {});
    if (problem) return this.refuse(flow, invalidField(problem));
    flow.installOptions.preOptions = { ...values };
    // Still within the user's click: the OAuth popup opens now.
    this.advance(flow);
  }

  async setCredentials(values: Record<string, string>): Promise<void> {
    const flow = this.at('credentials');
    const problem = fieldProblem(flow.integration.credentialFields ?? [], values ?? {});
    if (problem) return this.refuse(flow, invalidField(problem));
    await this.step(flow, async () => {
      const install: CredentialInstall = {
        integrationId: flow.integration.id,
        payload: values,
        installOptions: serverInstallOptions(flow.installOptions),
      };
      const credential = await this.sdk.api.json<Credential>('POST', '/credentials', install);
      flow.installed = await this.sdk.completeInstall(flow.integration.type, credential.id);
    });
  }

  async setPostOptions(values: Record<string, string>): Promise<void> {
    const flow = this.at('postOptions');
    const problem = fieldProblem(flow.integration.postInstallInputs ?? [], values ?? {});
    if (problem) return this.refuse(flow, invalidField(problem));
    await this.step(flow, async () => {
      const chosen = Object.fromEntries(Object.entries(values ?? {}).filter(([, value]) => value !== ''));
      if (Object.keys(chosen).length === 0) return;
      // Only these settings change: the server merges them into the account's config.
      await this.sdk.api.json<Credential>('PATCH', `/credentials/${encodeURIComponent(flow.installed!.credentialId)}/settings`, { sharedSettings: chosen });
      await this.sdk.refreshUser();
    });
  }

  /** Ends the flow silently (the user chose to), closing the popup if one is open. */
  cancel(): void {
    const flow = this.flow;
    this.flow = undefined;
    flow?.abort.abort(new SwitchboardError('Install cancelled', 'INSTALL_CANCELLED'));
  }

  /** @internal Ends the flow because of something the user did not choose (signed out): `onError` tells the UI. */
  abandon(error: Error): void {
    const flow = this.flow;
    if (!flow) return;
    this.cancel();
    flow.callbacks.onError?.(error, flow.stage);
  }

  /** The active flow, at the stage a `set…` call belongs to. */
  private at(name: InstallStageName): ActiveFlow {
    const flow = this.flow;
    if (!flow?.stage) throw new NoActiveInstallFlowError('No install flow is active: call installFlow.start(integrationType) first');
    if (flow.stage.stage !== name) {
      throw new SwitchboardError(`The install flow is at the ${flow.stage.stage} stage, not ${name}`, 'WRONG_INSTALL_STAGE');
    }
    return flow;
  }

  /** Runs an async step once at a time; its failure keeps the stage, so the user can correct the input. */
  private async step(flow: ActiveFlow, work: () => Promise<void>): Promise<void> {
    if (flow.busy) return;
    flow.busy = true;
    try {
      await work();
      if (this.flow === flow) this.advance(flow);
    } catch (error) {
      if (this.flow === flow) this.refuse(flow, error as Error);
    } finally {
      flow.busy = false;
    }
  }

  private refuse(flow: ActiveFlow, error: Error): void {
    flow.callbacks.onError?.(byFieldId(error), flow.stage);
  }

  private show(flow: ActiveFlow, stage: InstallStage): void {
    flow.stage = stage;
    flow.callbacks.onNext?.(stage);
  }

  /** Moves to the next stage that needs the user, given what is known so far. */
  private advance(flow: ActiveFlow): void {
    const { integration, installOptions } = flow;
    const integrationType = integration.type;
    if (flow.installed) {
      const postFields = integration.postInstallInputs ?? [];
      if (postFields.length > 0 && flow.stage?.stage !== 'postOptions') {
        return this.show(flow, { stage: 'postOptions', integrationType, fields: postFields, credentialId: flow.installed.credentialId });
      }
      return this.finish(flow, flow.installed);
    }
    if (integration.authenticationType !== 'oauth') {
      return this.show(flow, { stage: 'credentials', integrationType, fields: integration.credentialFields ?? [] });
    }
    const offered = integration.accountTypes ?? [];
    const wanted = installOptions.accountType;
    const choices = wanted === undefined ? offered : offered.filter((option) => [wanted].flat().includes(option.id));
    if (choices.length > 1) return this.show(flow, { stage: 'accountType', integrationType, options: choices });
    if (choices.length === 1) installOptions.accountType = choices[0]!.id;
    const preFields = integration.preOAuthInputs ?? [];
    const preGiven = installOptions.preOptions !== undefined && !fieldProblem(preFields, installOptions.preOptions);
    if (preFields.length > 0 && !preGiven && flow.stage?.stage !== 'preOptions') {
      return this.show(flow, { stage: 'preOptions', integrationType, fields: preFields });
    }
    this.startOAuth(flow);
  }

  /** Opens the popup synchronously (we are inside the user's click), then waits for the account. */
  private startOAuth(flow: ActiveFlow): void {
    let popup;
    try {
      popup = openOAuthPopup(this.sdk.environment);
    } catch (error) {
      return this.fail(flow, error as Error);
    }
    this.show(flow, { stage: 'oauth', integrationType: flow.integration.type });
    this.sdk.oauthInstall(flow.integration.type, popup, flow.installOptions, flow.abort.signal).then(
      (event) => {
        if (this.flow !== flow) return;
        flow.installed = event;
        this.advance(flow);
      },
      (error: Error) => {
        if (this.flow === flow) this.fail(flow, error);
      },
    );
  }

  /** Ends the flow with an error. */
  private fail(flow: ActiveFlow, error: Error): void {
    this.flow = undefined;
    flow.callbacks.onError?.(error, flow.stage);
  }

  private finish(flow: ActiveFlow, event: IntegrationInstallEvent): void {
    this.flow = undefined;
    this.show(flow, { stage: 'done', integrationType: flow.integration.type, event });
    flow.callbacks.onComplete?.(event, this.sdk.getUser());
  }
}
