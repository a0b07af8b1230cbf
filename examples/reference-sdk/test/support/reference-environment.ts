import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../../../../packages/server/test/support/test-server.js';
import { requireBuilt, startStaticSite, type StaticSite } from '../../../../test/support/static-site.js';
import { mapHostInProcess } from './process-host-mapping.js';
import { makeCertificate, startTlsFront, type TlsFront } from './tls-front.js';

const PAGE_DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** Where the reference SDK sends each kind of call, as its configureGlobal names them. */
export interface ServiceUrls {
  /** SDK REST API and the OAuth popup's set-up pages. */
  zeus: string;
  /** Proxy API (`request`). */
  workerProxy: string;
  /** App events and request-triggered workflows. */
  hermes: string;
  /** Connect Portal iframe. */
  connect: string;
  /** Icons: the SDK's CDN_PUBLIC_URL. */
  cdn: string;
}

export interface ReferenceEnvironment {
  server: TestServer;
  /** The harness page: another origin than every service (http://localhost:<port>/). */
  pageUrl: string;
  pageOrigin: string;
  /** The arguments the page passes to `paragon.configureGlobal`. */
  configureGlobal: [{ host: string }, Record<string, string>?];
  services: ServiceUrls;
  /** Where the sandbox's consent page and /oauth/callback are: Switchboard's public URL. */
  publicUrl: string;
  /** Command-line switches the browser needs to reach the services. */
  chromiumArgs: string[];
  close(): Promise<void>;
}

async function startPageSite(): Promise<StaticSite> {
  requireBuilt([join(PAGE_DIST, 'index.html')]);
  return startStaticSite({ root: PAGE_DIST, mount: '/' });
}

/** Closes what was started, last first, even when one of them fails to close. */
async function closeAll(closers: (() => Promise<void> | void)[]): Promise<void> {
  const results = await Promise.allSettled(closers.reverse().map(async (close) => close()));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The overrides form: Switchboard on http://127.0.0.1:<port>, every service URL of `configureGlobal` pointed at it
 * by name. This is how a customer tries Switchboard on a laptop or behind one host name with a port.
 */
export async function startOverridesEnvironment(): Promise<ReferenceEnvironment> {
  const server = await startTestServer('sqlite');
  let site: StaticSite;
  try {
    site = await startPageSite();
  } catch (error) {
    await server.close();
    throw error;
  }
  const origin = server.url;
  const pageOrigin = `http://localhost:${site.port}`;
  return {
    server,
    pageUrl: `${pageOrigin}/`,
    pageOrigin,
    configureGlobal: [
      { host: origin },
      {
        ZEUS_PUBLIC_URL: origin,
        WORKER_PROXY_PUBLIC_URL: origin,
        HERMES_PUBLIC_URL: origin,
        CONNECT_PUBLIC_URL: origin,
        CDN_PUBLIC_URL: origin,
        DASHBOARD_PUBLIC_URL: origin,
        PASSPORT_PUBLIC_URL: origin,
      },
    ],
    services: { zeus: origin, workerProxy: origin, hermes: origin, connect: origin, cdn: origin },
    publicUrl: origin,
    chromiumArgs: [],
    close: () => closeAll([() => server.close(), () => site.close()]),
  };
}

/**
 * The one-line form, for real: `configureGlobal({ host: 'https://<domain>' })` and nothing else. The SDK derives
 * `https://zeus.<domain>`, `https://worker-proxy.<domain>`... So Switchboard runs with SWITCHBOARD_PUBLIC_URL
 * https://<domain> behind a TLS-terminating front with a self-signed certificate for the domain and its
 * subdomains; Chromium maps those names to the front and trusts that one certificate (by its public key), and this
 * process (where the server runs, and calls its own public URL) resolves and trusts them the same way.
 */
export async function startPublicHostEnvironment(domain: string): Promise<ReferenceEnvironment> {
  const closers: (() => Promise<void> | void)[] = [];
  try {
    const certificate = makeCertificate(domain);
    const publicUrl = `https://${domain}`;
    const server = await startTestServer('sqlite', { SWITCHBOARD_PUBLIC_URL: publicUrl });
    closers.push(() => server.close());
    const front: TlsFront = await startTlsFront(certificate, server.url);
    closers.push(() => front.close());
    closers.push(mapHostInProcess(domain, front.address, certificate.certPem));
    const site = await startPageSite();
    closers.push(() => site.close());
    const pageOrigin = `http://localhost:${site.port}`;
    const service = (name: string) => `https://${name}.${domain}`;
    return {
      server,
      pageUrl: `${pageOrigin}/`,
      pageOrigin,
      configureGlobal: [{ host: publicUrl }],
      services: { zeus: service('zeus'), workerProxy: service('worker-proxy'), hermes: service('hermes'), connect: service('connect'), cdn: service('dashboard') },
      publicUrl,
      chromiumArgs: [
        `--host-resolver-rules=MAP ${domain} ${front.address}, MAP *.${domain} ${front.address}`,
        `--ignore-certificate-errors-spki-list=${certificate.spkiSha256}`,
      ],
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}
