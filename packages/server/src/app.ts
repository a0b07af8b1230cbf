import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { AccountEvents } from './events/account-events.js';
import type { AppContext } from './app-context.js';
import { sdkScriptRoutes } from './browser-sdk/sdk-script-routes.js';
import { iconRoutes } from './catalog/icon-routes.js';
import { sdkActionRoutes } from './catalog/sdk-action-routes.js';
import { sdkIntegrationRoutes } from './catalog/sdk-integration-routes.js';
import type { ServerConfig } from './config.js';
import { credentialInstallRoute } from './connect/credential-install-route.js';
import { installLimiters } from './connect/install-limits.js';
import { oauthCallbackRoute } from './connect/oauth-callback.js';
import { oauthSdkRoutes } from './connect/oauth-routes.js';
import { popupStartRoutes } from './connect/popup-start-routes.js';
import { referenceOAuthRoutes } from './connect/reference-oauth-routes.js';
import { pruneOAuthSessions } from './connect/oauth-sessions.js';
import { credentialRoutes } from './credentials/credential-routes.js';
import { scheduleTokenRefresh } from './credentials/refresh-job.js';
import { TokenRefresher } from './credentials/token-refresh.js';
import { demoRoutes } from './demo/demo-routes.js';
import { clientErrorHandler } from './http/client-error.js';
import { registerCors } from './http/cors.js';
import { frameworkErrorHandler, installErrorHandler } from './http/error-handler.js';
import { registerJsonBodyParser } from './http/json-body.js';
import { lazyRequestLogger, loggedPath, loggerOptions } from './http/logger.js';
import { homeRoutes } from './home/home-routes.js';
import { managementRoutes } from './management/management-routes.js';
import type { JobQueue } from './jobs/job-queue.js';
// The Function step's sandbox: a pool of worker threads that do not keep the process alive when idle.
import { runFunction } from './workflows/function-sandbox.js';
import { scheduleRunRetention } from './workflows/run-retention.js';
import { WorkflowEngine } from './workflows/run-engine.js';
import { onAccountChanged } from './workflows/integration-enabled-trigger.js';
import { fireSchedules } from './workflows/run-triggers.js';
import { openJobQueue } from './jobs/open-job-queue.js';
import { loadAdminKey } from './projects/admin-key.js';
import { portalRoutes } from './portal/portal-routes.js';
import { proxyRoutes } from './proxy/proxy-routes.js';
import { warmProxyLane } from './proxy/warm-lane-route.js';
import { serverWithFront, type FrontHandler } from './http/front-server.js';
import { RateLimiter } from './http/rate-limiter.js';
import { UpstreamPools } from './providers/upstream-pools.js';
import { ensureDevProject, type DevProjectFile } from './projects/dev-project.js';
import { SecretBox } from './secrets/envelope.js';
import { noEvents } from './events/event-sink.js';
import { WebhookDeliveries } from './webhooks/webhook-deliveries.js';
import { loadMasterKeys } from './secrets/master-keys.js';
import { openStorage } from './storage/database.js';
import { LookupCaches } from './storage/lookup-caches.js';
import { meRoutes } from './users/me-routes.js';
import { appEventRoutes, workflowSdkRoutes } from './workflows/workflow-sdk-routes.js';
import { webhookTriggerRoutes } from './workflows/webhook-trigger-routes.js';
import { requireUserToken } from './users/sdk-auth.js';

const OAUTH_SESSION_SWEEP_QUEUE = 'oauth-session-sweep';
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
/** The log levels that write the per-request line. */
const INFO_OR_BELOW = new Set(['info', 'debug', 'trace']);

export interface SwitchboardServer {
  app: FastifyInstance;
  context: AppContext;
  devProject: DevProjectFile | undefined;
  /** Background jobs (token refresh, sweeps); undefined when SWITCHBOARD_JOBS is off. */
  jobs: JobQueue | undefined;
  /** Workflow runs (on the job queue); undefined when SWITCHBOARD_JOBS is off. */
  workflows: WorkflowEngine | undefined;
  /** Stops accepting connections, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

/** Builds the server: storage (migrated), secrets, routes. Call `app.listen` (or `startServer`) to serve. */
export async function buildServer(config: ServerConfig, options: { logStream?: NodeJS.WritableStream } = {}): Promise<SwitchboardServer> {
  // Set once the server's parts exist (below); until then every request goes to Fastify.
  let lane: FrontHandler | undefined;
  const app = Fastify({
    serverFactory: serverWithFront(() => lane),
    logger: loggerOptions(config, options.logStream),
    // Behind a load balancer the client address and scheme come from X-Forwarded-*, when the peer is trusted to say so.
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Proxied paths are long (`/sdk/proxy/<type>/<provider path>`); the provider path is a route parameter.
    routerOptions: { maxParamLength: 8192 },
    // One line per request (below) instead of Fastify's two, with the path only.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    // Fastify's default silently drops fields a schema does not know; a typo in a setting must be a 400 instead.
    // No type coercion either: `5` where a string is expected is a 400, not "5".
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // URLs the router cannot decode are answered in our error shape too.
    frameworkErrors: frameworkErrorHandler,
    // ...and so are requests Node's HTTP parser refuses before Fastify sees them.
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log: app.log });
  const masterKeys = loadMasterKeys({ masterKey: config.masterKey, dataDir: config.dataDir });
  for (const warning of masterKeys.warnings) app.log.warn(warning);
  const upstreams = new UpstreamPools(config.proxy);
  const caches = await LookupCaches.open(storage, { databaseUrl: config.databaseUrl, log: app.log });
  const context: AppContext = {
    config,
    storage,
    db: storage.db,
    secrets: new SecretBox(masterKeys.keys),
    log: app.log,
    upstreams,
    caches,
    lifecycle: { closing: false },
    installLimits: installLimiters(config.limits),
    accounts: new AccountEvents(app.log),
    events: noEvents,
  };
  const refresher = new TokenRefresher(context);
  const proxyServices = {
    refresher,
    projectLimiter: new RateLimiter(config.proxy.rateLimitPerProject),
    userLimiter: new RateLimiter(config.proxy.rateLimitPerUser),
  };
  // Warm Proxy API calls without a body skip Fastify's request lifecycle (proxy/warm-lane-route.ts).
  lane = warmProxyLane(context, proxyServices, { logRequests: INFO_OR_BELOW.has(app.log.level) });
  const jobs = config.jobs ? openJobQueue({ storage, databaseUrl: config.databaseUrl, log: app.log }) : undefined;
  // Workflow runs are durable on the job queue; without it, triggers say so (WORKFLOW_RUNS_UNAVAILABLE).
  // Webhook deliveries are durable on the job queue too; without it, events are not recorded (docs/webhooks.md).
  const webhooks = jobs && new WebhookDeliveries(context, jobs);
  if (webhooks) context.events = webhooks;
  const workflows = jobs && new WorkflowEngine(context, refresher, jobs, runFunction, (engine) => fireSchedules(context, engine));
  context.accounts.listen(async (change) => {
    await onAccountChanged(context, workflows, change);
  });
  app.addHook('onClose', async () => {
    // Jobs first (they use the rest), then connections to providers, then storage.
    await jobs?.stop();
    await upstreams.close();
    await caches.close();
    await storage.close();
  });

  installErrorHandler(app);
  registerJsonBodyParser(app);
  // At LOG_LEVEL=warn and above the line is never written: no hook at all, so no request pays for one.
  if (INFO_OR_BELOW.has(app.log.level)) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info({ method: request.method, path: loggedPath(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
      done();
    });
  }
  // During shutdown, answers to in-flight requests close their connection: otherwise a keep-alive client holds
  // close() open until the keep-alive timeout (72 s).
  app.addHook('preClose', async () => {
    context.lifecycle.closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (context.lifecycle.closing) reply.header('connection', 'close');
    done(null, payload);
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Switchboard API', version: '0.1.0', description: 'SDK REST API (user token) and management API (secret key).' },
      components: {
        securitySchemes: {
          userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          secretKey: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await pruneOAuthSessions(context.db);
  // Before the routes: the demo and CORS for its session route need the dev project.
  const devProject = config.devProject ? await ensureDevProject(context) : undefined;
  await registerCors(app, context, { demoProjectId: config.demo ? devProject?.projectId : undefined });
  await app.register(formbody);

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(homeRoutes(context));

  await app.register(iconRoutes(context));
  await app.register(sdkScriptRoutes(context));
  if (config.demo && devProject) {
    if (!LOOPBACK_HOSTS.has(config.host)) {
      // /demo/session hands out user tokens (for demo-* users only) to anyone who can reach it.
      app.log.warn(`the demo is on while listening on ${config.host}: anyone who reaches /demo/session gets a demo user token; set SWITCHBOARD_DEMO=false on a shared server`);
    }
    await app.register(demoRoutes(context, devProject));
  }
  await app.register(oauthCallbackRoute(context));
  await app.register(popupStartRoutes(context));
  // Webhook triggers: addressed by their URL's token, outside the SDK's user-token scope.
  await app.register(webhookTriggerRoutes(context, workflows));
  await app.register(portalRoutes(context));
  await app.register(
    async (sdk) => {
      // onRequest: a bad token is refused before its body is read or validated.
      requireUserToken(sdk, context);
      await sdk.register(meRoutes(context));
      await sdk.register(sdkIntegrationRoutes(context));
      await sdk.register(sdkActionRoutes(context));
      await sdk.register(oauthSdkRoutes(context));
      await sdk.register(referenceOAuthRoutes(context));
      await sdk.register(workflowSdkRoutes(context, workflows));
      // Switchboard's SDK sends app events under the same prefix as every other call; the reference SDK uses /v2.
      await sdk.register(appEventRoutes(context, workflows));
      await sdk.register(credentialInstallRoute(context));
      await sdk.register(credentialRoutes(context));
      await sdk.register(proxyRoutes(context, proxyServices));
    },
    { prefix: '/projects/:projectId/sdk' },
  );
  // The reference SDK calls two routes under /v2: the OAuth popup's set-up and app events.
  await app.register(
    async (sdk) => {
      requireUserToken(sdk, context);
      await sdk.register(referenceOAuthRoutes(context));
      await sdk.register(appEventRoutes(context, workflows));
    },
    { prefix: '/v2/projects/:projectId/sdk' },
  );
  await app.register(managementRoutes(context, loadAdminKey({ adminKey: config.adminKey, dataDir: config.dataDir }), workflows, webhooks), { prefix: '/api/v1' });

  if (config.sandbox) {
    // Loaded only when mounted: its OAuth server (oidc-provider, Koa, got) is a sixth of an idle server's heap objects,
    // which every full collection walks, and production runs without it.
    const { registerSandbox } = await import('./sandbox/index.js');
    await registerSandbox(app, {
      serverUrl: config.publicUrl,
      accessTokenTtlSeconds: config.sandboxTokenTtlSeconds,
      redirectUris: [`${config.publicUrl}/oauth/callback`, ...config.sandboxRedirectUris],
    });
  }

  if (jobs) {
    await scheduleTokenRefresh(context, jobs, refresher);
    await jobs.work(OAUTH_SESSION_SWEEP_QUEUE, async () => pruneOAuthSessions(context.db));
    await workflows!.start();
    await webhooks!.start();
    await jobs.every(OAUTH_SESSION_SWEEP_QUEUE, 3600);
    await scheduleRunRetention(context, jobs);
    await jobs.start();
    // Once the queue runs (pg-boss takes no job before): runs a dead server left behind resume now, not a sweep later.
    await workflows!.recover();
  }
  return { app, context, devProject, jobs, workflows, close: () => app.close() };
}
