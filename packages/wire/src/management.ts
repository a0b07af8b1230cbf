import { Type, type Static } from '@sinclair/typebox';
import { InputFieldType, JsonObject, SelectOption, Timestamp } from './common.js';
import { IntegrationAction } from './actions.js';
import { Credential } from './credentials.js';

const Name = Type.String({ minLength: 1, maxLength: 100 });

/** Exact origins (`https://app.example.com`) or an origin with a port wildcard (`http://localhost:*`). */
export const AllowedOrigins = Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 100 });

const AllowPrivateUpstreams = Type.Boolean({
  description: 'Let custom integrations call loopback, private, link-local and cloud metadata addresses. Off by default; on for the dev project.',
});

const Theme = Type.Union([Type.Literal('light'), Type.Literal('dark'), Type.Literal('system')]);

/**
 * The Connect Portal's font list, at the project's level and at an integration's: no quotes, `;{}<>` or `url(`, so
 * nothing in it can leave the CSS value or fetch a font.
 */
const FontFamily = Type.String({
  pattern: '^[A-Za-z0-9 ,_-]{1,200}$',
  description: 'Font names and generic families, comma-separated, unquoted (e.g. Inter, system-ui, sans-serif)',
});

/**
 * The project's look in the Connect Portal, for every integration that sets none of its own (precedence: `connect()`
 * options, then the integration's `portal`, then this, then the built-in look).
 */
export const ProjectPortalLook = Type.Object(
  {
    accentColor: Type.Optional(Type.String({ pattern: '^#(?:[0-9a-fA-F]{3}){1,2}$', description: '#rgb or #rrggbb' })),
    theme: Type.Optional(Theme),
    fontFamily: Type.Optional(FontFamily),
  },
  { additionalProperties: false },
);
export type ProjectPortalLook = Static<typeof ProjectPortalLook>;

/** A project, as the management API shows it. */
export const Project = Type.Object({
  id: Type.String(),
  name: Type.String(),
  allowedOrigins: Type.Array(Type.String()),
  isDev: Type.Boolean(),
  allowPrivateUpstreams: Type.Boolean(),
  portal: ProjectPortalLook,
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
});
export type Project = Static<typeof Project>;

/** `POST /api/v1/projects` (admin key). */
export const ProjectCreate = Type.Object(
  { name: Name, allowedOrigins: Type.Optional(AllowedOrigins), allowPrivateUpstreams: Type.Optional(AllowPrivateUpstreams) },
  { additionalProperties: false },
);
export type ProjectCreate = Static<typeof ProjectCreate>;

/** The new project and its secret key, which is shown this once and stored hashed. */
export const CreatedProject = Type.Object({ project: Project, secretKey: Type.String() });
export type CreatedProject = Static<typeof CreatedProject>;

/**
 * `PATCH /api/v1/projects/:id`: `allowedOrigins` replaces the list, `portal` the project's look (`{}` clears it); only
 * the admin key turns `allowPrivateUpstreams` on.
 */
export const ProjectChanges = Type.Object(
  {
    name: Type.Optional(Name),
    allowedOrigins: Type.Optional(AllowedOrigins),
    allowPrivateUpstreams: Type.Optional(AllowPrivateUpstreams),
    portal: Type.Optional(ProjectPortalLook),
  },
  { additionalProperties: false },
);
export type ProjectChanges = Static<typeof ProjectChanges>;

/** `POST /api/v1/projects/:id/signing-keys`: a public key user tokens may be signed with (RSA, 2048 bits or more). */
export const SigningKeyInput = Type.Object(
  { id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' })), publicKeyPem: Type.String({ minLength: 100, maxLength: 10_000 }) },
  { additionalProperties: false },
);
export type SigningKeyInput = Static<typeof SigningKeyInput>;

export const SigningKey = Type.Object({ id: Type.String(), publicKeyPem: Type.String(), dateCreated: Timestamp });
export type SigningKey = Static<typeof SigningKey>;

const HexColor = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: '#RRGGBB' });

const Choice = Type.Object({ value: Type.String({ minLength: 1, maxLength: 200 }), label: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

/** The kinds of user setting the Connect Portal renders (the reference SDK's input types, in Switchboard's words). */
export const UserSettingType = Type.Union([
  Type.Literal('text'),
  Type.Literal('textarea'),
  Type.Literal('number'),
  Type.Literal('email'),
  Type.Literal('url'),
  Type.Literal('password'),
  Type.Literal('boolean'),
  Type.Literal('enum'),
  Type.Literal('dynamicEnum'),
  Type.Literal('customDropdown'),
  Type.Literal('fieldMapper'),
]);
export type UserSettingType = Static<typeof UserSettingType>;

/**
 * A setting the user chooses in the Connect Portal once connected; stored in the account's `sharedSettings` under
 * its `id`. `enum` lists its `options`; `customDropdown` gets them from the page (`connect(type, { dropdowns })`);
 * `dynamicEnum` loads them through the Proxy API from `source.path`; `fieldMapper` maps each of `fields` (the app's)
 * to one of `options` (the provider's).
 */
export const UserSetting = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' }),
    label: Type.String({ minLength: 1, maxLength: 200 }),
    type: UserSettingType,
    required: Type.Optional(Type.Boolean()),
    help: Type.Optional(Type.String({ maxLength: 500 })),
    placeholder: Type.Optional(Type.String({ maxLength: 200 })),
    options: Type.Optional(Type.Array(Choice, { maxItems: 200 })),
    source: Type.Optional(
      Type.Object(
        {
          path: Type.String({ pattern: '^/', maxLength: 500, description: "A path of the provider's API, called through the Proxy API" }),
          itemsPath: Type.Optional(Type.String({ maxLength: 200, description: 'Where the list is in the answer, dot-separated; absent: the answer itself' })),
          valueField: Type.Optional(Type.String({ maxLength: 100 })),
          labelField: Type.Optional(Type.String({ maxLength: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    fields: Type.Optional(Type.Array(Choice, { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type UserSetting = Static<typeof UserSetting>;

/** What the Connect Portal shows for an integration, and how it looks. */
export const PortalConfig = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 500 })),
    overview: Type.Optional(Type.String({ maxLength: 20_000, description: 'Markdown; HTML in it is shown as text' })),
    accentColor: Type.Optional(HexColor),
    theme: Type.Optional(Theme),
    fontFamily: Type.Optional(FontFamily),
    userSettings: Type.Optional(Type.Array(UserSetting, { maxItems: 50 })),
    accountTypes: Type.Optional(
      Type.Array(Type.String({ maxLength: 100 }), {
        maxItems: 20,
        description: "The account types users are offered, in this order: ids of the integration's own account types (all of them when absent)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type PortalConfig = Static<typeof PortalConfig>;

const Scopes = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 });

/** `PUT /api/v1/projects/:id/integrations/:type`; `null` clears a value, an absent field keeps it. */
export const IntegrationSettings = Type.Object(
  {
    isActive: Type.Optional(Type.Boolean()),
    clientId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()])),
    clientSecret: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()])),
    scopes: Type.Optional(Type.Union([Scopes, Type.Null()])),
    portal: Type.Optional(PortalConfig),
  },
  { additionalProperties: false },
);
export type IntegrationSettings = Static<typeof IntegrationSettings>;

/** A project's integration as the management API shows it: whether a client secret is set, never the secret. */
export const ManagedIntegration = Type.Object({
  id: Type.String(),
  type: Type.String(),
  name: Type.String(),
  customIntegrationId: Type.Union([Type.String(), Type.Null()]),
  isActive: Type.Boolean(),
  clientId: Type.Union([Type.String(), Type.Null()]),
  hasClientSecret: Type.Boolean(),
  scopes: Type.Union([Type.Array(Type.String()), Type.Null()]),
  portal: PortalConfig,
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
});
export type ManagedIntegration = Static<typeof ManagedIntegration>;

/** An input field of a custom integration (API-key fields, pre-OAuth inputs, post-install options). */
export const CustomInputField = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }),
    label: Type.String({ minLength: 1, maxLength: 100 }),
    type: InputFieldType,
    required: Type.Optional(Type.Boolean()),
    help: Type.Optional(Type.String({ maxLength: 500 })),
    placeholder: Type.Optional(Type.String({ maxLength: 200 })),
    /** A JavaScript regular expression source the whole value must match, compiled with the `u` flag. */
    pattern: Type.Optional(Type.String({ maxLength: 500 })),
    options: Type.Optional(Type.Array(SelectOption, { maxItems: 100 })),
    /** True for keys and passwords: stored encrypted, never echoed back. */
    secret: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CustomInputField = Static<typeof CustomInputField>;

const HttpUrl = Type.String({ minLength: 1, maxLength: 2000 });

/** A custom integration's definition (docs/custom-integrations.md); it is addressed as `custom.<slug>`. */
export const CustomIntegrationInput = Type.Object(
  {
    slug: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$', description: 'Addressed as custom.<slug>' }),
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    iconSvg: Type.String({ minLength: 1, maxLength: 65_536 }),
    accentColor: HexColor,
    auth: Type.Union([
      Type.Object(
        {
          type: Type.Literal('oauth2'),
          authorizeUrl: HttpUrl,
          tokenUrl: HttpUrl,
          clientId: Type.String({ minLength: 1, maxLength: 500 }),
          clientSecret: Type.String({ minLength: 1, maxLength: 2000 }),
          scopes: Type.Optional(Scopes),
          scopeSeparator: Type.Optional(Type.String({ minLength: 1, maxLength: 3 })),
          pkce: Type.Optional(Type.Boolean()),
          inputFields: Type.Optional(Type.Array(CustomInputField, { maxItems: 20 })),
        },
        { additionalProperties: false },
      ),
      Type.Object({ type: Type.Literal('api-key'), fields: Type.Array(CustomInputField, { minItems: 1, maxItems: 20 }) }, { additionalProperties: false }),
      Type.Object({ type: Type.Literal('oauth2-client-credentials'), tokenUrl: HttpUrl, scopes: Type.Optional(Scopes) }, { additionalProperties: false }),
    ]),
    apiBaseUrl: HttpUrl,
    /** A header template, e.g. `Authorization: Bearer {{accessToken}}` or `X-Api-Key: {{apiKey}}`. */
    apiAuthorization: Type.String({ minLength: 3, maxLength: 500 }),
    /** Called with the credential to check it; absolute or relative to `apiBaseUrl`. */
    testEndpointUrl: HttpUrl,
    /** Where the account's id sits in the test endpoint's JSON answer, e.g. `data.id`. */
    providerIdPath: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** Options asked once an account is connected, kept in the credential's `config.sharedSettings`; never secret. */
    postInstallInputs: Type.Optional(Type.Array(CustomInputField, { maxItems: 20, description: 'Options asked once an account is connected; never secret' })),
    /** Calls workflows' Action steps make by name (docs/workflows.md). */
    actions: Type.Optional(Type.Array(IntegrationAction, { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type CustomIntegrationInput = Static<typeof CustomIntegrationInput>;

/** `POST /api/v1/projects/:id/custom-integrations`: the custom integration's id, its integration's id and its type. */
export const CreatedCustomIntegration = Type.Object({ id: Type.String(), integrationId: Type.String(), type: Type.String() });
export type CreatedCustomIntegration = Static<typeof CreatedCustomIntegration>;

/** A stored custom integration; `definition` is the integration definition the engine runs (docs/catalog.md). */
export const CustomIntegration = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  integrationId: Type.String(),
  definition: JsonObject,
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
});
export type CustomIntegration = Static<typeof CustomIntegration>;

/** A connected user with their accounts' metadata. */
export const ConnectedUser = Type.Object({
  /** Switchboard's id for the connected user. */
  id: Type.String(),
  /** The customer's id for the user: the user token's `sub`. */
  userId: Type.String(),
  meta: JsonObject,
  dateCreated: Timestamp,
  credentials: Type.Array(Credential),
});
export type ConnectedUser = Static<typeof ConnectedUser>;

/** `GET /api/v1/projects/:id/connected-users`: one page, oldest first; `nextCursor` is null on the last page. */
export const ConnectedUsersPage = Type.Object({ data: Type.Array(ConnectedUser), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type ConnectedUsersPage = Static<typeof ConnectedUsersPage>;

export const CredentialEventName = Type.Union([
  Type.Literal('installed'),
  Type.Literal('reauthorized'),
  Type.Literal('uninstalled'),
  Type.Literal('refreshed'),
  Type.Literal('invalidated'),
  Type.Literal('config_updated'),
]);
export type CredentialEventName = Static<typeof CredentialEventName>;

/** An entry of the credential audit log. */
export const CredentialEvent = Type.Object({
  id: Type.String(),
  credentialId: Type.String(),
  connectedUserId: Type.String(),
  integrationId: Type.String(),
  event: CredentialEventName,
  detail: JsonObject,
  dateCreated: Timestamp,
});
export type CredentialEvent = Static<typeof CredentialEvent>;
