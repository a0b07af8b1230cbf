import { execFileSync } from 'node:child_process';
import { createHash, randomInt, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's openssl; elsewhere, whichever is on PATH. */
const OPENSSL = existsSync('/usr/bin/openssl') ? '/usr/bin/openssl' : 'openssl';

export interface TestCertificate {
  certPem: string;
  keyPem: string;
  /** base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo: what `--ignore-certificate-errors-spki-list` takes. */
  spkiSha256: string;
}

/**
 * A self-signed certificate for `domain` and `*.domain`, made by openssl in a temporary folder that is removed at
 * once: the key lives in this process's memory only.
 */
export function makeCertificate(domain: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      OPENSSL,
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
        '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${domain}`,
        '-addext', `subjectAltName=DNS:${domain},DNS:*.${domain}`,
        '-addext', 'extendedKeyUsage=serverAuth',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const certPem = readFileSync(certFile, 'utf8');
    const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    return { certPem, keyPem: readFileSync(keyFile, 'utf8'), spkiSha256: createHash('sha256').update(spki).digest('base64') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TlsFront {
  /** The loopback address it listens on, port 443. */
  address: string;
  close(): Promise<void>;
}

const HTTPS_PORT = 443;

/**
 * A TLS-terminating front, as a load balancer is: HTTPS on port 443 of a loopback address of its own, every request
 * forwarded over plain HTTP to `target` with its Host kept and `X-Forwarded-Proto: https` added (Switchboard trusts
 * X-Forwarded-* from its front). Port 443 because Switchboard calls its own public URL too (the sandbox's token
 * endpoint and API are at `<public URL>/sandbox`), and that URL has no port. A random 127.x.y.z address keeps
 * parallel runs on one machine apart; binding port 443 needs root (as in CI) or a lowered
 * net.ipv4.ip_unprivileged_port_start.
 */
export async function startTlsFront(certificate: TestCertificate, target: string): Promise<TlsFront> {
  const upstream = new URL(target);
  const server = createHttpsServer({ cert: certificate.certPem, key: certificate.keyPem }, (request, response) => {
    const headers = { ...request.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': request.socket.remoteAddress ?? '' };
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end('bad gateway');
    });
    request.pipe(forwarded);
  });
  for (let attempt = 0; ; attempt += 1) {
    const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    try {
      await listen(server, address);
      return { address, close: () => closeServer(server) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
}

/** Whether this process may listen on port 443 (root, or a lowered net.ipv4.ip_unprivileged_port_start). */
export async function httpsPortUsable(): Promise<boolean> {
  const probe = createHttpsServer();
  try {
    await listen(probe, `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`);
    await closeServer(probe);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') return false;
    throw error;
  }
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(HTTPS_PORT, address, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
