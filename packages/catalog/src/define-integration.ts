/**
 * The shape of an integration definition. An integration is data: the server's generic connect engine and
 * proxy read it, and nothing provider-specific lives in the server. A provider's quirks are expressed here as
 * fields (token-response paths, separators, token request format) or, rarely, as a small named hook.
 *
 * Templates: strings marked "template" may contain `{{name}}` placeholders, filled from the template context:
 *   - `{{<inputId>}}`            a pre-OAuth input or an API-key / basic field the user typed (e.g. `{{shop}}`)
 *   - `{{<accountTypeVar>}}`     a variable of the chosen account type (e.g. `{{loginHost}}`)
 *   - `{{providerData.<key>}}`   a value captured at connect time (e.g. `{{providerData.instanceURL}}`)
 *   - `{{accessToken}}`          the current OAuth access token (API authorization only)
 * Inputs that end up in a URL must declare a `pattern`, so that a user cannot steer a URL to another host.
 */

import { actionProblems, type IntegrationAction } from './define-action.js';
import { isValidInputPattern, templatePlaceholders } from './template-syntax.js';

/** A field the Connect Portal (or a headless install flow) asks the user for. */
export interface InputField {
  /** Stable id, used as the template name and the key in the install payload. */
  id: string;
  label: string;
  type: 'text' | 'password' | 'url' | 'select';
  required?: boolean;
  help?: string;
  placeholder?: string;
  /** A JavaScript regular expression source the whole value must match, compiled with the `u` flag (template-syntax.ts). */
  pattern?: string;
  /** For `select`. */
  options?: { value: string; label: string }[];
  /** True for keys and passwords: stored encrypted, never echoed back. */
  secret?: boolean;
}

/** One kind of account a provider offers, e.g. Salesforce production vs sandbox. */
export interface AccountType {
  id: string;
  label: string;
  /** Template variables this account type sets, e.g. `{ loginHost: 'test.salesforce.com' }`. */
  vars: Record<string, string>;
}

/**
 * Where values sit in a provider's JSON answer: dotted paths such as `authed_user.access_token` or
 * `team.id`. `providerData` maps a key of our `providerData` to a path.
 */
export interface ResponseMapping {
  providerIdPath?: string;
  providerData?: Record<string, string>;
  /**
   * Path of a boolean the provider sets to false on failure while still answering HTTP 200 (Slack's `ok`).
   * The error code is then read from `error`.
   */
  okPath?: string;
}

export interface TokenResponseMapping extends ResponseMapping {
  /** Path of the access token to use for API calls; default `access_token`. Slack user tokens: `authed_user.access_token`. */
  accessTokenPath?: string;
  /** Path of the refresh token; default `refresh_token`. */
  refreshTokenPath?: string;
  /** Path of `expires_in` (seconds); default `expires_in`. */
  expiresInPath?: string;
  /** Extra secret values to keep with the credential (e.g. Slack's bot token): name -> path. Stored encrypted. */
  extraSecrets?: Record<string, string>;
  /** The provider issues tokens that never expire and has no refresh token (e.g. GitHub OAuth apps, Notion). */
  neverExpires?: boolean;
  /**
   * Lifetime to assume when the answer carries no `expires_in` but the token does expire (Salesforce: the
   * org's session timeout, 2 h by default).
   */
  defaultExpiresInSeconds?: number;
  /**
   * Provider error codes meaning the code or refresh token is dead, besides RFC 6749's `invalid_grant`
   * (GitHub's `bad_verification_code`, Slack's `invalid_refresh_token`).
   */
  invalidGrantErrors?: string[];
}

export interface OAuth2CodeAuth {
  kind: 'oauth2';
  /** Template. */
  authorizeUrl: string;
  /** Template. */
  tokenUrl: string;
  /** Default scopes requested; a project may override them when it activates the integration. */
  scopes: string[];
  /** How scopes are joined in the authorize URL; default a space. */
  scopeSeparator?: string;
  /** Send a PKCE S256 challenge (default true). */
  pkce?: boolean;
  /** How the client authenticates at the token endpoint; default `client_secret_post`. */
  tokenEndpointAuth?: 'client_secret_post' | 'client_secret_basic';
  /** Body encoding of token requests; default `form`. Notion wants JSON. */
  tokenRequestFormat?: 'form' | 'json';
  /** Extra query parameters on the authorize URL (templates), e.g. `{ access_type: 'offline', prompt: 'consent' }`. */
  authorizeParams?: Record<string, string>;
  /** Repeat the scopes in the code exchange body (Zendesk asks for `scope` there too). */
  scopeInTokenRequest?: boolean;
  /** Name of the scope parameter; default `scope`. Slack user scopes use `user_scope`. */
  scopeParam?: string;
  /** Inputs asked before the OAuth redirect (Shopify shop, Zendesk subdomain). */
  preOAuthInputs?: InputField[];
  accountTypes?: AccountType[];
  tokenResponse?: TokenResponseMapping;
  /** The provider hands out a new refresh token on each refresh (the old one stops working). */
  refreshTokenRotates?: boolean;
  /** The provider has no refresh grant (tokens never expire, or the user must reconnect). */
  noRefresh?: boolean;
}

export interface OAuth2ClientCredentialsAuth {
  kind: 'oauth2-client-credentials';
  /** Template. */
  tokenUrl: string;
  scopes?: string[];
  scopeSeparator?: string;
  tokenEndpointAuth?: 'client_secret_post' | 'client_secret_basic';
  /**
   * Fields the user types. `clientId` and `clientSecret` are required ids; more fields (e.g. a subdomain) may
   * follow and are usable as templates.
   */
  fields: InputField[];
}

export interface ApiKeyAuth {
  kind: 'api-key';
  /** Fields the user types, e.g. `[{ id: 'apiKey', ... }]`; usable as templates in `api`. */
  fields: InputField[];
}

export interface BasicAuth {
  kind: 'basic';
  /** Fields the user types; `api.authorization` says which make the username and password. */
  fields: InputField[];
}

export type AuthScheme = OAuth2CodeAuth | OAuth2ClientCredentialsAuth | ApiKeyAuth | BasicAuth;
export type AuthKind = AuthScheme['kind'];

/** How a request to the provider's API carries the credential. Values are templates. */
export type ApiAuthorization =
  /** `Authorization: Bearer <token>`; `token` is a template, default `{{accessToken}}` (Stripe: `{{apiKey}}`). */
  | { type: 'bearer'; token?: string }
  | { type: 'header'; name: string; value: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'query'; name: string; value: string };

export interface ApiSpec {
  /** Template, e.g. `{{providerData.instanceURL}}/services/data/v60.0` or `https://{{shop}}.myshopify.com/admin/api/2024-10`. */
  baseUrl: string;
  authorization: ApiAuthorization;
  /** Extra headers every API request carries (e.g. `Notion-Version`). */
  headers?: Record<string, string>;
}

/**
 * A request that proves a credential works and tells who it belongs to. Reached with the credential applied as
 * `api.authorization` says. A non-2xx answer means the credential is rejected.
 */
export interface IdentitySpec extends ResponseMapping {
  /** Template: absolute, or a path joined to `api.baseUrl`. */
  url: string;
  method?: 'GET' | 'POST';
  /** JSON body for POST identity calls (e.g. Dropbox). */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * How the provider signs the webhooks it sends (a workflow's Webhook trigger checks it): an HMAC of the raw request
 * body, in a named header. Switchboard refuses a delivery whose signature is missing or wrong, comparing in constant
 * time. `secret` says which key signs: the project's OAuth app client secret (`clientSecret`, as Shopify signs), or
 * one of the account's own secret fields (`credentialField`, a signing secret the user typed at install).
 */
export interface WebhookSignatureSpec {
  /** The request header holding the signature, e.g. `X-Hub-Signature-256`. */
  header: string;
  algorithm: 'hmac-sha256';
  encoding: 'hex' | 'base64';
  /** Text before the digest in the header, e.g. `sha256=`. */
  prefix?: string;
  secret: { from: 'clientSecret' } | { from: 'credentialField'; field: string };
}

export interface IntegrationDefinition {
  /** The integrationType clients use: `salesforce`, `googleCalendar`, `sandbox`. */
  type: string;
  name: string;
  description: string;
  /** `#RRGGBB`. */
  brandColor: string;
  /** An SVG document (from simple-icons where the brand is there). */
  iconSvg: string;
  auth: AuthScheme;
  api: ApiSpec;
  /** Yields providerId / providerData and validates the credential; for API keys it is the test endpoint. */
  identity?: IdentitySpec;
  /** Markdown shown in the Connect Portal's overview. */
  overview?: string;
  /**
   * Options asked after an account is connected (any auth kind), e.g. which contacts to sync. The values live in
   * the credential's `config.sharedSettings` under each field's id, set with `PATCH /sdk/credentials/:id`, and are
   * checked there like install inputs (pattern, select options). They are settings, never secrets: a field may not
   * be `secret` or of type `password`. `required` tells a form what to insist on; a config may be saved in parts.
   */
  postInstallInputs?: InputField[];
  /** How the provider signs its webhooks; without it, a Webhook trigger's URL alone (an unguessable token) admits a delivery. */
  webhookSignature?: WebhookSignatureSpec;
  /** Calls a workflow's Action step (and an agent) makes by name, declared as data (define-action.ts). */
  actions?: IntegrationAction[];
}

// Custom integrations are addressed as `custom.<slug>`.
const TYPE_PATTERN = /^(custom\.)?[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/;
const COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/;

/** Checks a definition's invariants at load time, so a broken catalog file fails fast and by name. */
export function defineIntegration(definition: IntegrationDefinition): IntegrationDefinition {
  const problems: string[] = [];
  if (!TYPE_PATTERN.test(definition.type)) problems.push('type must be a short identifier');
  if (!COLOR_PATTERN.test(definition.brandColor)) problems.push('brandColor must be #RRGGBB');
  if (!definition.iconSvg.trimStart().startsWith('<svg')) problems.push('iconSvg must be an SVG document');
  const auth = definition.auth;
  if (auth.kind === 'oauth2') {
    for (const input of auth.preOAuthInputs ?? []) {
      if (!input.pattern) problems.push(`pre-OAuth input ${input.id} needs a pattern: it is used in URLs`);
    }
  } else {
    const ids = auth.fields.map((f) => f.id);
    if (auth.kind === 'oauth2-client-credentials' && !(ids.includes('clientId') && ids.includes('clientSecret'))) {
      problems.push('client-credentials fields must include clientId and clientSecret');
    }
    if (new Set(ids).size !== ids.length) problems.push('field ids must be unique');
  }
  problems.push(...postInstallInputProblems(definition.postInstallInputs ?? []).map((problem) => problem.message));
  for (const input of [...declaredFields(definition), ...(definition.postInstallInputs ?? [])]) {
    if (input.pattern !== undefined && !isValidInputPattern(input.pattern)) problems.push(`input ${input.id} has a pattern that is no regular expression`);
  }
  problems.push(...webhookSignatureProblems(definition));
  problems.push(...actionProblems(definition.actions ?? []).map((problem) => problem.message));
  for (const id of unpatternedUrlInputs(definition)) {
    problems.push(`input ${id} is used in a URL and needs a pattern`);
  }
  if (problems.length > 0) {
    throw new Error(`integration ${definition.type || '(no type)'}: ${problems.join('; ')}`);
  }
  return Object.freeze(definition);
}

/** What is wrong with one post-install input: its index, the property at fault (when one is), and why. */
export interface PostInstallInputProblem {
  index: number;
  property?: 'id';
  message: string;
}

/** Post-install inputs are stored in plain settings, shown back to the user: nothing secret may be asked there. */
export function postInstallInputProblems(fields: readonly InputField[]): PostInstallInputProblem[] {
  const problems: PostInstallInputProblem[] = [];
  const seen = new Set<string>();
  fields.forEach((field, index) => {
    if (field.secret || field.type === 'password') {
      problems.push({ index, message: `post-install input ${field.id} must not be secret: its value is stored in plain settings` });
    }
    if (field.type === 'select' && !(field.options && field.options.length > 0)) {
      problems.push({ index, message: `post-install input ${field.id} is a select without options` });
    }
    if (seen.has(field.id)) problems.push({ index, property: 'id', message: `post-install input ids must be unique: ${field.id} repeats` });
    seen.add(field.id);
  });
  return problems;
}

/** The user-typed inputs a definition asks for at install: pre-OAuth inputs or its auth fields. */
function declaredFields(definition: IntegrationDefinition): InputField[] {
  const auth = definition.auth;
  return auth.kind === 'oauth2' ? (auth.preOAuthInputs ?? []) : auth.fields;
}

/** Ids of user-typed inputs that appear in a URL template without a pattern to keep them on the right host. */
function unpatternedUrlInputs(definition: IntegrationDefinition): string[] {
  const auth = definition.auth;
  const inputs = declaredFields(definition);
  const urls = [definition.api.baseUrl, definition.identity?.url ?? ''];
  if (auth.kind === 'oauth2') urls.push(auth.authorizeUrl, auth.tokenUrl);
  if (auth.kind === 'oauth2-client-credentials') urls.push(auth.tokenUrl);
  const used = new Set(urls.flatMap(templatePlaceholders));
  return inputs.filter((input) => used.has(input.id) && !input.pattern).map((input) => input.id);
}

/** A signature spec must name a header, and a secret the integration has: a client secret, or a secret field. */
function webhookSignatureProblems(definition: IntegrationDefinition): string[] {
  const spec = definition.webhookSignature;
  if (!spec) return [];
  const problems: string[] = [];
  if (!/^[A-Za-z0-9-]{1,100}$/.test(spec.header)) problems.push('webhookSignature.header must be a header name');
  if (spec.secret.from === 'clientSecret' && definition.auth.kind !== 'oauth2') {
    problems.push('webhookSignature.secret clientSecret needs an OAuth integration (the project\'s OAuth app holds the secret)');
  }
  if (spec.secret.from === 'credentialField') {
    const { field } = spec.secret;
    const secret = declaredFields(definition).find((input) => input.id === field && input.secret);
    if (!secret) problems.push(`webhookSignature.secret names ${field}, which is no secret field of the integration`);
  }
  return problems;
}
