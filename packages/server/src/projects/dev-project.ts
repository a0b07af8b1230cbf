import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppContext } from '../app-context.js';
import { configureIntegration, integrationsChanged } from '../catalog/integration-store.js';
import { DEV_ALLOWED_ORIGINS } from './allowed-origins.js';
import { addSigningKey, createProject, findProject } from './project-store.js';

/** The dev project's local keys: for `switchboard token` and `switchboard info` on this machine only. */
export interface DevProjectFile {
  projectId: string;
  secretKey: string;
  signingKeyId: string;
  privateKeyPem: string;
}

export const devProjectFile = (dataDir: string) => join(dataDir, 'dev-project.json');

/** The documented sandbox OAuth client (see sandbox/). */
export const SANDBOX_CLIENT = { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' };
const SANDBOX_INTEGRATIONS = ['sandbox', 'sandbox-apikey', 'sandbox-client-credentials'];

export function readDevProject(dataDir: string): DevProjectFile | undefined {
  const file = devProjectFile(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DevProjectFile) : undefined;
}

/**
 * On first start, a dev project: a signing key pair (the private half stays in the data dir, mode 0600), the
 * sandbox integrations active, and every localhost origin allowed. Later starts reuse it.
 */
export async function ensureDevProject(context: AppContext): Promise<DevProjectFile> {
  const existing = readDevProject(context.config.dataDir);
  if (existing && (await findProject(context.db, existing.projectId))) return existing;

  const { project, secretKey } = await createProject(context.db, {
    name: 'Development',
    allowedOrigins: DEV_ALLOWED_ORIGINS,
    isDev: true,
    // The sandbox and local test APIs live on loopback.
    allowPrivateUpstreams: true,
  });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = await addSigningKey(context.db, project.id, {
    id: 'dev',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  for (const type of SANDBOX_INTEGRATIONS) {
    await configureIntegration(context.db, context.secrets, project.id, type, {
      isActive: true,
      ...(type === 'sandbox' && SANDBOX_CLIENT),
    });
  }
  await integrationsChanged(context, project.id);
  const devProject: DevProjectFile = {
    projectId: project.id,
    secretKey,
    signingKeyId: signingKey!.id, // a fresh project has no keys yet
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const file = devProjectFile(context.config.dataDir);
  writeFileSync(file, JSON.stringify(devProject, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return devProject;
}
