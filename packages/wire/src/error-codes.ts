/**
 * Every error code Switchboard answers, with its HTTP status and what it means. The server takes each error's
 * status from here (so a code it does not list is a compile error there), the Node client and the browser SDK type
 * `error.code` from it, and docs/api.md's error table is checked against it by a test.
 *
 * `status` is one status, or the few a code is honestly answered with (said where, in `meaning`). `'4xx'` is only
 * BAD_REQUEST: the status a library (Fastify, a plugin) gave a client error Switchboard has no name for.
 */
export const ERROR_CODES = {
  // 400: the request is wrong; `field` names the input at fault when there is one.
  VALIDATION_ERROR: { status: 400, meaning: 'a field is missing, unknown or of the wrong type; `field` names it' },
  BAD_REQUEST: { status: '4xx', meaning: 'a client error Switchboard has no name of its own for; the status is the one Fastify or its plugin gave' },
  INVALID_JSON: { status: 400, meaning: 'the body is not JSON, or carries `__proto__`; a reference-SDK parameter that must be JSON is not' },
  JSON_TOO_DEEP: { status: 400, meaning: 'the JSON body (or a JSON parameter) nests objects and arrays more than 64 levels' },
  INVALID_CHARACTER: { status: 400, meaning: 'a text holds a NUL character (Postgres cannot store it)' },
  INVALID_CONTENT_LENGTH: { status: 400, meaning: '`Content-Length` is not a number, or given twice; the connection is closed' },
  INVALID_HEADER: { status: 400, meaning: 'a header name or value with a character HTTP does not allow; on the Proxy API also a forwarded value with CR, LF or NUL' },
  MALFORMED_REQUEST: { status: 400, meaning: "anything else Node's HTTP parser refuses; the connection is closed" },
  INVALID_URL: { status: 400, meaning: "the URL's percent-encoding is malformed, or a custom integration's URL is not http(s) (or plain http where https is required); `field` names it (webhook destinations: docs/webhooks.md)" },
  INVALID_INPUT: { status: 400, meaning: 'install inputs (or a reference-SDK JSON parameter) are not an object; `field` names it' },
  UNKNOWN_FIELD: { status: 400, meaning: 'an install input that is not a field of the integration; `field` names it' },
  MISSING_FIELD: { status: 400, meaning: 'a required install input is missing; `field` names it' },
  INVALID_FIELD: { status: 400, meaning: "an install input is not a single-line string, too long, off its pattern or not one of its options; `field` names it" },
  INVALID_ACCOUNT_TYPE: { status: 400, meaning: "`accountType` is not one of the account types the project offers for the integration; `field` names it" },
  INVALID_ACCOUNT_TYPES: { status: 400, meaning: "`portal.accountTypes` is empty, repeats an id, names one the integration does not declare, or is set on an integration without account types; `field` names it" },
  INVALID_SETTING: { status: 400, meaning: "a saved setting's value is not of its declared type (or not one of its options); `field` names the setting" },
  INVALID_CURSOR: { status: 400, meaning: '`GET …/connected-users` with a `cursor` that is not a `nextCursor` this server gave; `field: "cursor"`' },
  INVALID_ORIGIN: { status: 400, meaning: 'an entry of `allowedOrigins` is not an origin (`https://app.example.com`); `field` names it' },
  INVALID_PUBLIC_KEY: { status: 400, meaning: '`publicKeyPem` is not an RSA public key of at least 2048 bits in PEM, or is a private key' },
  INVALID_CREDENTIAL_HEADER: { status: 400, meaning: '`X-Paragon-Credential` is not one credential id' },
  INVALID_PROXY_PATH: { status: 400, meaning: 'a proxied path or query that could leave the base URL; `field` is `path` or `query`' },
  INVALID_UPSTREAM_URL: { status: 400, meaning: "the integration's API base URL is not http or https" },
  META_TOO_LARGE: { status: 400, meaning: "a connected user's `meta` is over 64 KB of JSON; `field: \"meta\"`" },
  NOT_AN_OAUTH_INTEGRATION: { status: 400, meaning: 'an OAuth start for an integration that connects with typed credentials (`POST /sdk/credentials`)' },
  OAUTH_INTEGRATION: { status: 400, meaning: 'typed credentials for an integration that connects through OAuth (`POST /sdk/oauth/start`)' },
  REDIRECT_URL_NOT_ALLOWED: {
    status: 400,
    meaning: "`overrideRedirectUrl` (the reference SDK's `redirectUrl`) is not an http(s) URL on one of the project's allowed origins, or has a fragment or credentials; `field` names it",
  },
  OAUTH_CLIENT_REQUIRED: { status: 400, meaning: 'an OAuth integration would be active without its client ID or secret; `field` is `clientId` or `clientSecret`' },
  CLIENT_IN_DEFINITION: { status: 400, meaning: "an OAuth client for a custom integration through `PUT …/integrations/:type`: it is part of the custom integration's definition" },
  INVALID_API_AUTHORIZATION: { status: 400, meaning: 'a custom integration\'s `apiAuthorization` is not `Header-Name: value {{accessToken}}`' },
  INVALID_PATTERN: { status: 400, meaning: "a custom integration's input pattern is not a valid regular expression; `field` names it" },
  INVALID_POST_INSTALL_INPUT: { status: 400, meaning: "a custom integration's post-install input is not valid; `field` names it" },
  INVALID_ACTION: { status: 400, meaning: "a custom integration's action is not valid: its name, a template naming no input, an input schema that does not compile; `field` names it" },
  UNKNOWN_PLACEHOLDER: { status: 400, meaning: "a custom integration's template names a `{{placeholder}}` that is no input field or known value; `field` names it" },
  INVALID_ICON: { status: 400, meaning: "a custom integration's `iconSvg` is not an SVG document of at most 64 KB without scripts or external references" },
  INVALID_CUSTOM_INTEGRATION: { status: 400, meaning: 'a custom integration does not make a valid integration definition' },
  SLUG_IMMUTABLE: { status: 400, meaning: "an update tried to change a custom integration's `slug`" },
  INVALID_WORKFLOW: { status: 400, meaning: 'a workflow definition is not valid, or names an integration, app event or action the project does not have; `field` names the step and property' },
  WORKFLOW_VERSION_NOT_FOUND: { status: 400, meaning: 'a rollback to a version the workflow does not have; `field: "version"`' },
  WORKFLOW_SETTINGS_REQUIRED: { status: 400, meaning: 'enabling a workflow before its required settings are saved on the account; `field` names the setting' },
  CREDENTIAL_REJECTED: { status: 400, meaning: "the provider's test call rejected the typed credential; `providerMessage` gives its reason" },
  OAUTH_GRANT_REJECTED: { status: 400, meaning: 'the provider refused the authorization code (an OAuth callback)' },
  OAUTH_ACCESS_DENIED: { status: 400, meaning: 'the user denied consent at the provider (an OAuth callback)' },
  OAUTH_PROVIDER_ERROR: { status: 400, meaning: 'the provider sent the user back with an error, or without a code (an OAuth callback)' },
  OAUTH_STATE_INVALID: {
    status: [400, 404],
    meaning: 'an OAuth flow that expired, was used or never existed: 400 at `/oauth/callback`, 404 when the popup is opened for it',
  },

  // 401: who is asking is not established.
  USER_TOKEN_MISSING: { status: 401, meaning: 'no `Authorization: Bearer <user token>`' },
  USER_TOKEN_INVALID: { status: 401, meaning: 'the user token is not a well-formed RS256 JWT with valid claims' },
  USER_TOKEN_UNKNOWN_KEY: { status: 401, meaning: 'the user token is not signed by a key of this project' },
  USER_TOKEN_WRONG_AUDIENCE: { status: 401, meaning: 'the user token is meant for another project' },
  USER_TOKEN_EXPIRED: { status: 401, meaning: 'the user token has expired: sign a new one' },
  USER_TOKEN_INVALID_PERMISSIONS: { status: 401, meaning: "the user token's permissions claim cannot be read; `field` names the claim" },
  SECRET_KEY_MISSING: { status: 401, meaning: 'no `Authorization: Bearer <project secret key>` on the management API' },
  SECRET_KEY_INVALID: { status: 401, meaning: 'the project secret key is not valid' },
  ADMIN_KEY_INVALID: { status: 401, meaning: 'the admin key is not valid' },
  CREDENTIAL_INVALID: { status: 401, meaning: 'the provider no longer accepts this account: the user must connect it again' },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, meaning: "a webhook whose signature header (the integration's `webhookSignature`) is missing or wrong: no run starts" },

  // 403: known, but not allowed.
  PERMISSION_DENIED: { status: 403, meaning: "the user token's permissions do not allow this call through this account" },
  SECRET_KEY_WRONG_PROJECT: { status: 403, meaning: 'the secret key belongs to another project' },
  ADMIN_KEY_REQUIRED: { status: 403, meaning: 'a project\'s secret key tried what only the admin key may (turning on `allowPrivateUpstreams`); `field: "allowPrivateUpstreams"`' },
  ORIGIN_NOT_ALLOWED: { status: 403, meaning: "an OAuth flow or its popup from an origin that is not on the project's allowed list" },
  HOST_NOT_ALLOWED: { status: 403, meaning: "`GET /demo/session` reached under a host name that is not this server's (DNS rebinding)" },
  OAUTH_BROWSER_MISMATCH: { status: 403, meaning: 'an OAuth callback in a browser the flow was not opened in' },
  UPSTREAM_ADDRESS_BLOCKED: { status: 403, meaning: 'a custom integration tried to reach a private or local address the project does not allow' },

  // 404: no such thing (for this user).
  ROUTE_NOT_FOUND: { status: 404, meaning: 'no such route' },
  PROJECT_NOT_FOUND: { status: 404, meaning: 'no such project' },
  INTEGRATION_NOT_FOUND: { status: 404, meaning: 'no such active integration in this project (or not one this user token is offered)' },
  CUSTOM_INTEGRATION_NOT_FOUND: { status: 404, meaning: 'no such custom integration in this project' },
  INTEGRATION_NOT_INSTALLED: { status: 404, meaning: 'the user has no account of this integration' },
  CREDENTIAL_NOT_FOUND: { status: 404, meaning: 'no such account for this user (or not one this user token sees), or it was disconnected' },
  SIGNING_KEY_NOT_FOUND: { status: 404, meaning: 'no signing key with this id in the project' },
  OAUTH_STATE_NOT_FOUND: { status: 404, meaning: 'no OAuth flow with this state (or reference-SDK key) for this user' },
  WORKFLOW_NOT_FOUND: { status: 404, meaning: 'no such workflow in the project, or (SDK REST API) none published and active' },
  APP_EVENT_NOT_FOUND: { status: 404, meaning: 'an app event with a name the project does not define' },
  SECRET_NOT_FOUND: { status: 404, meaning: 'no project secret with this name' },
  WORKFLOW_RUN_NOT_FOUND: { status: 404, meaning: 'no such workflow run in this project' },
  WEBHOOK_NOT_FOUND: { status: 404, meaning: "a webhook URL whose token names no account's enablement of a published, active workflow with a Webhook trigger" },
  WEBHOOK_DESTINATION_NOT_FOUND: { status: 404, meaning: 'no webhook destination with this id in the project' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, meaning: 'no webhook delivery with this id in the project' },
  ICON_NOT_FOUND: { status: 404, meaning: 'no integration (built-in or custom) with this icon' },
  SDK_NOT_BUILT: { status: 404, meaning: 'the browser SDK file is missing: run `npm run build`' },
  SOURCE_MAP_NOT_FOUND: { status: 404, meaning: 'the browser SDK was built without a source map' },
  DEMO_NOT_BUILT: { status: 404, meaning: 'the demo app is not built: run `npm run build`' },
  PORTAL_NOT_BUILT: { status: 404, meaning: 'the Connect Portal app is not built: run `npm run build`' },

  METHOD_NOT_ALLOWED: { status: 405, meaning: 'a method the Proxy API does not forward (TRACE, WebDAV methods); `Allow` lists those it does' },
  REQUEST_TIMEOUT: { status: 408, meaning: 'the request did not arrive in time; the connection is closed' },

  // 409: the request disagrees with what is stored.
  INTEGRATION_ALREADY_INSTALLED: { status: 409, meaning: 'the user has an account of this integration already; pass `allowMultipleCredentials` to add another' },
  CREDENTIAL_ACCOUNT_MISMATCH: { status: 409, meaning: 'a re-authorization signed in to another provider account than the one being repaired' },
  INTEGRATION_NOT_CONFIGURED: { status: 409, meaning: 'the integration has no OAuth client ID and secret in this project' },
  INTEGRATION_MISCONFIGURED: { status: 409, meaning: "the integration's definition cannot make the request with this account (a template needs a value it lacks); `field` names the placeholder" },
  CUSTOM_INTEGRATION_EXISTS: { status: 409, meaning: 'a custom integration with this slug exists in the project' },
  SIGNING_KEY_EXISTS: { status: 409, meaning: '`POST …/signing-keys` with an `id` the project already has (also when two requests race for it)' },
  WORKFLOW_NOT_ENABLED: { status: 409, meaning: 'a Request trigger, or a webhook, for an account that has not enabled the workflow (or turned it off): enableWorkflow first' },
  WORKFLOW_RUN_FINISHED: { status: 409, meaning: 'cancelling a run that has already ended' },
  WORKFLOW_RUN_NOT_FAILED: { status: 409, meaning: 'replaying a run that has not failed: only a FAILED run can be replayed' },
  WEBHOOK_DELIVERY_PENDING: { status: 409, meaning: 'replaying a webhook delivery whose tries are still under way: wait until it is SUCCEEDED, FAILED or DEAD' },

  BODY_TOO_LARGE: { status: 413, meaning: 'the body is over 1 MB' },
  URL_TOO_LONG: { status: 414, meaning: 'a path parameter is longer than the router allows' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'a body of a content type the route does not take' },
  RATE_LIMITED: { status: 429, meaning: 'over a rate limit (Proxy API, OAuth starts, typed-credential installs, wrong keys); `Retry-After` says when to try again' },
  TOO_MANY_PENDING_OAUTH: { status: 429, meaning: 'the user has too many OAuth flows open; one finishing or expiring frees a place; `Retry-After`' },
  HEADERS_TOO_LARGE: { status: 431, meaning: "the request headers are over Node's limit (16 KB); the connection is closed" },

  // 5xx: Switchboard or the provider failed.
  INTERNAL_ERROR: { status: 500, meaning: 'anything unexpected; details go to the log only' },
  PROVIDER_UNAVAILABLE: { status: 502, meaning: 'the provider could not be reached or failed while connecting an account' },
  UPSTREAM_UNREACHABLE: { status: 502, meaning: 'Switchboard could not reach the provider for a proxied call' },
  UPSTREAM_TLS_FAILED: { status: 502, meaning: 'Switchboard could not make a secure connection to the provider' },
  UPSTREAM_BAD_RESPONSE: { status: 502, meaning: 'the provider sent a response Switchboard could not read (or an invalid status)' },
  TOKEN_REFRESH_FAILED: { status: 502, meaning: "the provider refused to refresh the account's access token, for a reason other than a dead grant" },
  WORKFLOW_RUN_FAILED: { status: 502, meaning: 'a Request trigger whose run failed before its Response step; `runId` names the run' },
  TOKEN_REFRESH_UNAVAILABLE: { status: 503, meaning: "the provider's token endpoint could not be reached and the token has expired; try again shortly" },
  DATABASE_UNAVAILABLE: { status: 503, meaning: 'Postgres cannot be reached (restarting, failing over); `Retry-After: 5`' },
  WORKFLOW_RUNS_UNAVAILABLE: { status: 503, meaning: 'a trigger while this server runs no background jobs (`SWITCHBOARD_JOBS=0`): workflows run on the job queue' },
  WEBHOOKS_UNAVAILABLE: { status: 503, meaning: 'a webhook replay while this server runs no background jobs (`SWITCHBOARD_JOBS=0`): deliveries run on the job queue' },
  UPSTREAM_TIMEOUT: { status: 504, meaning: 'the provider did not answer a proxied call in time' },
  WORKFLOW_RESPONSE_TIMEOUT: { status: 504, meaning: "a Request trigger whose run did not reach its Response step within the trigger's timeout; the run goes on, `runId` names it" },
} as const satisfies Record<string, { status: number | readonly number[] | '4xx'; meaning: string }>;

/**
 * Codes Switchboard reports without an error status of their own: in the `error` of a 200 OAuth result, or in the
 * message a page posts to the SDK. They are kept apart so every code in ERROR_CODES has a real error status.
 */
export const REPORTED_ERROR_CODES = {
  OAUTH_STATE_EXPIRED: { meaning: 'the OAuth flow expired before the user finished; the `error` of `GET /sdk/oauth/:state`' },
} as const satisfies Record<string, { meaning: string }>;

/** A code Switchboard answers with an error status. */
export type HttpErrorCode = keyof typeof ERROR_CODES;
/** Every error code Switchboard sends: with an error status, or reported inside an answer or a page's message. */
export type ErrorCode = HttpErrorCode | keyof typeof REPORTED_ERROR_CODES;

/** The status(es) a code is answered with, as numbers (`'4xx'` is any number). */
export type ErrorStatus<C extends HttpErrorCode = HttpErrorCode> = C extends HttpErrorCode
  ? (typeof ERROR_CODES)[C]['status'] extends infer S
    ? S extends '4xx'
      ? number
      : S extends readonly (infer One)[]
        ? One
        : S
    : never
  : never;
