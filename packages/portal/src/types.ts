/**
 * What the portal reads of the SDK's `UI_UPDATE` (docs/connect-portal.md): the parts of GET /sdk/integrations and
 * GET /sdk/me it shows. Everything is optional at runtime: a parent page is not trusted to send whole objects.
 */

/** A field the user types before connecting (Switchboard's `credentialFields`, `preOAuthInputs`, `postInstallInputs`). */
export interface InstallField {
  id: string;
  label: string;
  type: 'text' | 'password' | 'url' | 'select';
  required: boolean;
  help?: string;
  placeholder?: string;
  pattern?: string;
  options?: { value: string; label: string }[];
}

/** An input in the reference SDK's words: user settings (`sharedMeta.inputs`) and workflow settings (`workflowMeta[id].inputs`). */
export interface SettingInput {
  id: string;
  key?: string;
  title?: string;
  type?: string;
  required?: boolean;
  tooltip?: string;
  placeholder?: string;
  values?: { value: string; label?: string }[];
  customDropdownOptions?: { value: string; label?: string }[];
  /** A dynamic enum's options: a Proxy API call and where the options are in its answer. */
  source?: { path: string; itemsPath?: string; valueField?: string; labelField?: string };
  /** A field mapper's fields: the app's fields to map to the provider's. */
  fields?: { value: string; label?: string }[];
}

export interface WorkflowMeta {
  id: string;
  description?: string;
  infoText?: string;
  defaultEnabled?: boolean;
  hidden?: boolean;
  inputs?: SettingInput[];
}

export interface PortalConfigValues {
  overview?: string;
  description?: string;
  accentColor?: string;
  theme?: 'light' | 'dark' | 'system';
  fontFamily?: string;
  sharedMeta?: { inputs?: SettingInput[] };
  workflowMeta?: Record<string, WorkflowMeta>;
}

export interface Integration {
  id: string;
  type: string;
  name: string;
  brandColor?: string;
  icon?: string;
  authenticationType?: string;
  needPreOauthInputs?: boolean;
  accountTypes?: { id: string; label: string }[];
  preOAuthInputs?: InstallField[];
  credentialFields?: InstallField[];
  postInstallInputs?: InstallField[];
}

export interface CredentialConfiguration {
  id: string;
  isDefault?: boolean;
  sharedSettings?: Record<string, unknown>;
  workflowSettings?: Record<string, { enabled?: boolean; settings?: Record<string, unknown> }>;
}

export interface Account {
  id: string;
  status?: string;
  providerId?: string | null;
  providerData?: Record<string, unknown>;
  dateCreated?: string;
  configurations?: CredentialConfiguration[];
}

export interface IntegrationState {
  enabled?: boolean;
  credentialId?: string;
  allCredentials?: Account[];
}

export interface ModalState {
  integration?: Integration | null;
  config?: PortalConfigValues;
  apiInstallationOptions?: {
    isApiInstallation?: boolean;
    allowMultipleCredentials?: boolean;
    selectedCredentialId?: string;
    accountType?: string | string[];
    showPortalAfterInstall?: boolean;
    bypassPostOAuthPrompt?: boolean;
    selectedAccountConfig?: { id: string };
  } & Record<string, unknown>;
  selectedCredentialId?: string;
  connectionError?: { error?: unknown; errorResponse?: { message?: string; code?: string }; message?: string; code?: string } | null;
  shouldShowPortalAfterInstall?: boolean;
}

export interface UiUpdate {
  messageType: 'UI_UPDATE';
  nextContext?: {
    projectId?: string;
    user?: { authenticated?: boolean; integrations?: Record<string, IntegrationState | undefined> };
  };
  nextModalState?: ModalState;
}
