/**
 * The JSON shapes the server answers and accepts (docs/api.md), from @switchboard/wire: the schemas the server
 * validates and serializes with, so a field the server adds or accepts is a field these types know.
 */
import type { Credential, InstallField } from '@switchboard/wire';

export type {
  ActionTool,
  ActionToolList,
  AppEvent,
  AppEventAccepted,
  AppEventInput,
  Condition,
  ConnectedUser,
  ConnectedUsersPage,
  CreatedCustomIntegration,
  CreatedProject,
  Credential,
  CredentialConfig,
  CredentialEvent,
  CredentialEventName,
  CredentialStatus,
  CustomInputField,
  CustomIntegration,
  CustomIntegrationInput,
  InstallOptions,
  IntegrationAction,
  IntegrationMetadata,
  IntegrationSettings,
  IntegrationState,
  ManagedIntegration,
  PortalConfig,
  Project,
  ProjectChanges,
  ProjectSecret,
  SdkIntegration,
  SigningKey,
  SigningKeyInput,
  Step,
  Trigger,
  UninstallResult,
  UserState,
  Workflow,
  WorkflowDefinition,
  WorkflowRun,
  WorkflowRunDetail,
  WorkflowRunsPage,
  WorkflowRunStep,
  WorkflowSetting,
  WorkflowVersion,
  WorkflowWebhookUrl,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookDestination,
  WebhookDestinationChanges,
  WebhookDestinationInput,
  WebhookDestinationWithSecret,
  WebhookEventType,
} from '@switchboard/wire';

/** One connected account in `GET /sdk/me`'s `allCredentials`: the same view as {@link Credential}. */
export type CredentialSummary = Credential;

/** An input an install asks for (API key field, pre-OAuth input, post-install option). */
export type InstallInputField = InstallField;

/** Paging of `listConnectedUsersPage`: `limit` 1 to 1000 (default 100), `cursor` the previous page's `nextCursor`. */
export interface ConnectedUsersPageOptions {
  limit?: number;
  cursor?: string;
}
