import type { AppContext } from '../app-context.js';
import { integrationNotFound, requireActiveIntegration, type ProjectIntegration } from '../catalog/integration-store.js';
import { apiError } from '../errors.js';
import { originAllowed } from '../projects/allowed-origins.js';
import type { Project } from '../projects/project-store.js';
import type { ConnectedUser } from '../users/connected-users.js';
import { integrationVisible, type TokenPermissions } from '../users/permissions.js';
import { resolveAccountType, validateInputs } from './install-inputs.js';
import { checkOAuthStartLimits } from './install-limits.js';
import { oauthAppFor, templateContext } from '../catalog/provider-settings.js';
import { flowRedirectUri } from './redirect-override.js';
import { createOAuthSession, newOAuthState } from './oauth-sessions.js';
import { buildAuthorizationUrl, generateCodeVerifier } from '../providers/index.js';
import { checkInstallAllowed, seenAtStart, seenByToken } from './save-connected-account.js';

export interface OAuthStartRequest {
  /** The integration, by type (`salesforce`, `custom.<slug>`) or by id. */
  integration: { type: string } | { id: string };
  /** The page that opens the popup: the result is posted to exactly this origin. */
  origin: string;
  installOptions: {
    accountType?: string | string[] | undefined;
    preOptions?: Record<string, unknown> | undefined;
    allowMultipleCredentials?: boolean | undefined;
    selectedCredentialId?: string | undefined;
    /** The customer's page the provider returns to instead of Switchboard's callback (redirect-override.ts). */
    overrideRedirectUrl?: string | undefined;
  };
  /** Where the pre-OAuth inputs came from in the request, for error messages. */
  preOptionsField: string;
  /** Where the redirect override came from in the request, for error messages. */
  redirectField: string;
  /** The reference SDK's own key for the flow, which it polls by. */
  clientKey?: string;
  /** The user token's JWT permissions: what it may see and install. */
  permissions: TokenPermissions;
}

/**
 * Starts an OAuth flow for a connected user: checks the origin, the integration and the install choice, validates
 * the pre-OAuth inputs, and stores a pending flow, within the user's limits on flows. Both front doors use it: Switchboard's SDK (POST /sdk/oauth/start)
 * and the reference SDK's popup protocol (GET /v2/.../sdk/actions/build-oauth).
 */
export async function startOAuth(
  context: AppContext,
  project: Project,
  user: ConnectedUser,
  start: OAuthStartRequest,
): Promise<{ authorizationUrl: string; state: string; integration: ProjectIntegration }> {
  await checkOAuthStartLimits(context, project.id, user.id);
  if (!originAllowed(project.allowedOrigins, start.origin)) {
    throw apiError('ORIGIN_NOT_ALLOWED', `origin ${start.origin} is not an allowed origin of this project`);
  }
  const integration = await requireActiveIntegration(context.db, project.id, start.integration);
  if (!integrationVisible(start.permissions, integration.type)) throw integrationNotFound('type' in start.integration ? start.integration.type : start.integration.id);
  const auth = integration.definition.auth;
  if (auth.kind !== 'oauth2') {
    throw apiError('NOT_AN_OAUTH_INTEGRATION', `${integration.type} connects with typed credentials: POST /sdk/credentials`, { field: 'integration' });
  }
  const { installOptions } = start;
  const choice = {
    selectedCredentialId: installOptions.selectedCredentialId ?? null,
    allowMultipleCredentials: installOptions.allowMultipleCredentials ?? false,
    sees: seenByToken(start.permissions, integration),
  };
  const seen = await checkInstallAllowed(context, integration, user.id, choice);
  const accountType = resolveAccountType(integration, installOptions.accountType);
  const { publicValues, secretValues } = validateInputs(auth.preOAuthInputs ?? [], installOptions.preOptions, start.preOptionsField);
  const flowRedirect = flowRedirectUri(context, project, installOptions.overrideRedirectUrl, start.redirectField);
  const publicInputs = { ...accountType?.vars, ...publicValues };
  const codeVerifier = auth.pkce === false ? undefined : generateCodeVerifier();
  // Build the URL before storing anything, so a definition that cannot render leaves no pending session.
  const state = newOAuthState();
  const authorizationUrl = buildAuthorizationUrl(integration.definition, {
    app: oauthAppFor(context, integration),
    redirectUri: flowRedirect,
    state,
    ...(codeVerifier && { codeVerifier }),
    context: templateContext(context, { ...publicInputs, ...secretValues }),
  });
  await createOAuthSession(context.db, context.secrets, {
    state,
    projectId: project.id,
    connectedUserId: user.id,
    integrationId: integration.id,
    origin: start.origin,
    redirectUri: flowRedirect,
    codeVerifier,
    inputs: publicInputs,
    secretInputs: secretValues,
    accountType: accountType?.id ?? null,
    ...choice,
    allowMultiple: choice.allowMultipleCredentials,
    authorizationUrl,
    clientKey: start.clientKey ?? null,
    visibleCredentialIds: seenAtStart(start.permissions, seen),
  });
  return { authorizationUrl, state, integration };
}
