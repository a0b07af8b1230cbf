/**
 * Imports in packages/server/src run one way: routes → domain services → the outbound layer (providers/) →
 * storage. `npm run lint:deps` (part of `npm test`) fails on any import against that direction.
 */
const SRC = '^packages/server/src/';
/**
 * Domain folders, top to bottom: a service (any file that is not a route) may import folders below its own, never
 * above. Folders that hold only routes come first. Reorder here, deliberately, when a new dependency is right.
 */
const DOMAIN_ORDER = ['home', 'portal', 'webhooks', 'workflows', 'browser-sdk', 'management', 'proxy', 'connect', 'demo', 'users', 'credentials', 'projects', 'catalog'];
const DOMAIN = `${SRC}(${DOMAIN_ORDER.join('|')})/`;
// http/cors.ts and http/error-handler.ts are the app's Fastify hooks, registered by app.ts: they sit with the routes.
const ROUTE = `(${SRC}app[.]ts$|-routes?[.]ts$|${SRC}http/(cors|error-handler)[.]ts$)`;
const OUTBOUND = `${SRC}providers/`;
const STORAGE = `${SRC}(storage|secrets|jobs|http|events)/|${SRC}(clock|json|errors|config)[.]ts$`;
const TEST = '[.]test[.]ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle means two modules cannot be understood, or tested, one without the other: move the shared piece down.',
      severity: 'error',
      from: { path: SRC },
      to: { circular: true },
    },
    {
      name: 'domain-imports-no-routes',
      comment: 'Routes sit on top: a domain service must not import a route file.',
      severity: 'error',
      from: { path: DOMAIN, pathNot: [ROUTE, TEST] },
      to: { path: ROUTE },
    },
    {
      name: 'outbound-imports-no-domain',
      comment: 'The outbound layer (the provider engine, upstream pools, network policy, provider fetch) is below every domain folder.',
      severity: 'error',
      from: { path: OUTBOUND, pathNot: TEST },
      to: { path: [DOMAIN, ROUTE] },
    },
    {
      name: 'storage-imports-nothing-above',
      comment: 'Storage, secrets, jobs and the shared helpers are the bottom layer.',
      severity: 'error',
      from: { path: STORAGE, pathNot: [ROUTE, TEST] },
      to: { path: [DOMAIN, ROUTE, OUTBOUND] },
    },
    ...DOMAIN_ORDER.slice(1).map((folder, index) => ({
      name: `${folder}-imports-no-folder-above`,
      comment: `Domain folders import downwards only (DOMAIN_ORDER): ${folder}/ must not import ${DOMAIN_ORDER.slice(0, index + 1).join(', ')}.`,
      severity: 'error',
      from: { path: `${SRC}${folder}/`, pathNot: [ROUTE, TEST] },
      to: { path: `${SRC}(${DOMAIN_ORDER.slice(0, index + 1).join('|')})/` },
    })),
    {
      name: 'src-imports-no-tests',
      comment: 'Test helpers are not part of the server.',
      severity: 'error',
      from: { path: SRC, pathNot: TEST },
      to: { path: '^packages/server/test/' },
    },
  ],
  options: {
    // Type-only imports count: a type cycle is still two modules that know each other.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
