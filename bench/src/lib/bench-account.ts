/**
 * The account every proxy bench calls through: a custom API-key integration whose API is the bench's upstream
 * (bench/src/upstream.ts), and one user connected to it with the upstream's key.
 */
import type { LoadSpec } from '../load-generator.js';
import { BENCH_ICON, call, createCustomIntegration, readDevProject, sdkUrl, userToken, type DevProject, type SwitchboardProcess } from './switchboard.js';

/** The key the upstream accepts. */
export const API_KEY = 'k';
/** The upstream path every proxied call asks for. */
export const UPSTREAM_PATH = '/bench/items?page=1';

/** Defines the bench's custom API-key integration, `custom.bench`, whose API is the upstream at `upstreamOrigin`. */
export async function defineBenchIntegration(server: SwitchboardProcess, project: DevProject, upstreamOrigin: string): Promise<void> {
  await createCustomIntegration(server, project, {
    slug: 'bench',
    name: 'Bench API',
    iconSvg: BENCH_ICON,
    accentColor: '#334155',
    auth: { type: 'api-key', fields: [{ id: 'apiKey', label: 'API key', type: 'password', required: true, secret: true }] },
    apiBaseUrl: upstreamOrigin,
    apiAuthorization: 'X-Api-Key: {{apiKey}}',
    testEndpointUrl: '/ping',
  });
}

/** Defines `custom.bench` and connects the bench user's key; returns the proxied path and headers to call. */
export async function connectBenchAccount(server: SwitchboardProcess, upstreamOrigin: string): Promise<Pick<LoadSpec, 'path' | 'headers'>> {
  const project = readDevProject(server.dataDir);
  await defineBenchIntegration(server, project, upstreamOrigin);
  const token = await userToken(project, 'bench-user');
  await call('POST', `${sdkUrl(server, project)}/credentials`, { bearer: token, json: { integrationId: 'custom.bench', payload: { apiKey: API_KEY } } });
  return { path: `/projects/${project.projectId}/sdk/proxy/custom.bench${UPSTREAM_PATH}`, headers: { authorization: `Bearer ${token}` } };
}
