import { Type, type Static } from '@sinclair/typebox';
import { JsonObject } from './common.js';

/** Options of an install, OAuth or typed. */
export const InstallOptions = Type.Object(
  {
    /** Skip the account type choice: one type, or a list of allowed ones. */
    accountType: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    /** Values for the integration's pre-OAuth inputs (e.g. a Shopify shop). */
    preOptions: Type.Optional(JsonObject),
    /** Add another account when the user already has one (otherwise 409 `INTEGRATION_ALREADY_INSTALLED`). */
    allowMultipleCredentials: Type.Optional(Type.Boolean()),
    /** Replace this account's credentials in place. */
    selectedCredentialId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** OAuth: the customer's page (on an allowed origin) the provider returns to; it forwards the query to /oauth/callback. */
    overrideRedirectUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  },
  { additionalProperties: true },
);
export type InstallOptions = Static<typeof InstallOptions>;

/** `POST /sdk/oauth/start`. */
export const OAuthStart = Type.Object({
  integration: Type.String({ minLength: 1, maxLength: 120, description: 'integrationType, e.g. salesforce or custom.<slug>' }),
  origin: Type.String({ minLength: 1, maxLength: 300, description: 'The origin of the page that opened the popup; the result is posted there only' }),
  installOptions: Type.Optional(InstallOptions),
});
export type OAuthStart = Static<typeof OAuthStart>;

export const OAuthStarted = Type.Object({
  authorizationUrl: Type.String({ description: "The provider's page; the popup reaches it through popupUrl" }),
  state: Type.String(),
  popupUrl: Type.String({ description: 'POST a form with `state` here from the popup: it binds this browser to the flow, then redirects to the provider' }),
});
export type OAuthStarted = Static<typeof OAuthStarted>;

/** `GET /sdk/oauth/:state`: the result of an OAuth flow, for an SDK whose popup lost its opener. */
export const OAuthResult = Type.Object({
  status: Type.Union([Type.Literal('pending'), Type.Literal('success'), Type.Literal('error')]),
  integration: Type.String(),
  credentialId: Type.Optional(Type.String()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});
export type OAuthResult = Static<typeof OAuthResult>;

/** `POST /sdk/credentials`: connect an account with an API key, basic auth or OAuth client credentials. */
export const CredentialInstall = Type.Object({
  /** The integration's id (or its type). */
  integrationId: Type.String({ minLength: 1, maxLength: 120 }),
  /** The integration's credential fields, by id. */
  payload: JsonObject,
  installOptions: Type.Optional(InstallOptions),
  /** The reference SDK sends `config: {}`; settings are set with `PATCH /sdk/credentials/:id` once connected. */
  config: Type.Optional(Type.Object({}, { additionalProperties: false })),
});
export type CredentialInstall = Static<typeof CredentialInstall>;
