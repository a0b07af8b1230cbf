import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManagedProject, management } from './support/management.js';
import { credentialEvents, eventually, proxy, setTokenExpiry, storedSecrets } from './support/proxy.js';
import { connectSandbox, expectError, json, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './support/webhook-receiver.js';
import { isoIn } from '../src/clock.js';
import { claimAttempt, insertDeliveries } from '../src/webhooks/delivery-store.js';
import type { WebhookDeliveries } from '../src/webhooks/webhook-deliveries.js';

type Json = Record<string, any>;
const ALL_EVENTS = ['credential.created', 'credential.refresh_failed', 'credential.deleted', 'workflow.run.failed', 'workflow.run.succeeded'];

/**
 * Webhook destinations against the real server, its job queue and a receiver on loopback: signed deliveries that
 * the Standard Webhooks library verifies, retries on 5xx, timeouts and 429 (after its Retry-After), a final 4xx,
 * DEAD after the last try, replay, each event when it happens, and the management API refusing bad input.
 */
describe.each(testDatabases)('webhooks, on %s', (database) => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    server = await startTestServer(database, {
      // Three tries a second apart, and a short timeout: the retry tests take seconds, not hours.
      SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS: '3',
      SWITCHBOARD_WEBHOOK_BACKOFF_SECONDS: '1',
      SWITCHBOARD_WEBHOOK_TIMEOUT_MS: '1000',
      SWITCHBOARD_REFRESH_SWEEP_SECONDS: '0',
    });
    await api('PUT', '/app-events/Ping', {});
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  let paths = 0;
  /** A destination of its own path at the receiver, for `events`; removed when the test ends. */
  async function destination(events: string[], onTestFinished: (fn: () => Promise<void>) => void): Promise<{ id: string; path: string; secret: string }> {
    const path = `/hook-${++paths}`;
    const created = await json<{ destination: Json; signingSecret: string }>(await api('POST', '/webhook-destinations', { url: receiver.url(path), events }), 201);
    onTestFinished(async () => {
      await api('DELETE', `/webhook-destinations/${created.destination.id}`);
    });
    return { id: created.destination.id, path, secret: created.signingSecret };
  }

  /** A new user with a sandbox API-key account: fires credential.created. */
  async function connectApiKey(sub = newUser('hooks')): Promise<{ sub: string; credentialId: string }> {
    const { id } = await json<{ id: string }>(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub.slice(-8)}` } } }), 201);
    return { sub, credentialId: id };
  }

  const deliveriesOf = async (destinationId: string) => json<Json[]>(await api('GET', `/webhook-destinations/${destinationId}/deliveries`));

  /** The destination's one delivery once it is no longer PENDING. */
  async function settled(destinationId: string, timeoutMs = 15_000): Promise<Json> {
    let latest: Json[] = [];
    await eventually(
      'the delivery to settle',
      async () => {
        latest = await deliveriesOf(destinationId);
        return latest.length > 0 && latest.every((d) => d.status !== 'PENDING');
      },
      timeoutMs,
    );
    expect(latest).toHaveLength(1);
    return latest[0]!;
  }

  const verify = (secret: string, hook: ReceivedWebhook) => new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>);

  it('a destination that answers 500 twice, then 200, gets the event three times and one success; every try is logged', async ({ onTestFinished }) => {
    const hook = await destination(['credential.created'], onTestFinished);
    receiver.script(hook.path, [{ status: 500, body: 'database down' }, { status: 500 }, { status: 200, body: 'thanks' }]);
    const { sub, credentialId } = await connectApiKey();

    const delivery = await settled(hook.id);
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', eventType: 'credential.created', nextAttemptAt: null });
    expect(delivery.attempts.map((a: Json) => [a.attempt, a.status, a.error])).toEqual([
      [1, 500, null],
      [2, 500, null],
      [3, 200, null],
    ]);
    expect(delivery.attempts[0].responseExcerpt).toBe('database down');
    expect(delivery.attempts[2].responseExcerpt).toBe('thanks');
    for (const attempt of delivery.attempts) {
      expect(attempt.durationMs).toEqual(expect.any(Number));
      expect(Date.parse(attempt.dateStarted)).not.toBeNaN();
    }

    const received = receiver.received(hook.path);
    expect(received).toHaveLength(3);
    // The same webhook-id on every try, so the receiver can tell a retry from a new event.
    expect(new Set(received.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.eventId]));
    for (const request of received) expect(verify(hook.secret, request)).toMatchObject({ type: 'credential.created', data: { credentialId, userId: sub } });
    // No further try after the success.
    await sleep(1_500);
    expect(receiver.received(hook.path)).toHaveLength(3);
  });

  it('the signature verifies with the Standard Webhooks library, and not with another secret or a changed body', async ({ onTestFinished }) => {
    const hook = await destination(['credential.created'], onTestFinished);
    const { credentialId } = await connectApiKey();
    await settled(hook.id);
    const [request] = receiver.received(hook.path);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(verify(hook.secret, request!)).toMatchObject({ type: 'credential.created', timestamp: expect.any(String), data: { credentialId } });
    const other = (await json<{ signingSecret: string }>(await api('POST', `/webhook-destinations/${(await destination(['credential.created'], onTestFinished)).id}/rotate-secret`))).signingSecret;
    expect(() => verify(other, request!)).toThrow();
    expect(() => new Webhook(hook.secret).verify(request!.body.replace(credentialId, 'someone-else'), request!.headers as Record<string, string>)).toThrow();
  });

  it('waits as long as a 429 answer’s Retry-After asks, not the shorter backoff', async ({ onTestFinished }) => {
    const hook = await destination(['credential.created'], onTestFinished);
    receiver.script(hook.path, [{ status: 429, headers: { 'retry-after': '3' } }, { status: 200 }]);
    await connectApiKey();
    const delivery = await settled(hook.id);
    expect(delivery.attempts.map((a: Json) => a.status)).toEqual([429, 200]);
    const [first, second] = receiver.received(hook.path);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(2_900);
  });

  it('a 400 is final: the delivery is FAILED after one try and is not sent again', async ({ onTestFinished }) => {
    const hook = await destination(['credential.created'], onTestFinished);
    receiver.script(hook.path, [{ status: 400, body: 'unknown event' }]);
    await connectApiKey();
    const delivery = await settled(hook.id);
    expect(delivery).toMatchObject({ status: 'FAILED', nextAttemptAt: null });
    expect(delivery.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 400, responseExcerpt: 'unknown event' })]);
    await sleep(2_500);
    expect(receiver.received(hook.path)).toHaveLength(1);
  });

  it('a receiver that does not answer in time is tried again: the try is logged as a timeout', async ({ onTestFinished }) => {
    const hook = await destination(['credential.created'], onTestFinished);
    receiver.script(hook.path, [{ status: 200, delayMs: 3_000 }, { status: 204 }]);
    await connectApiKey();
    const delivery = await settled(hook.id);
    expect(delivery.status).toBe('SUCCEEDED');
    expect(delivery.attempts.map((a: Json) => [a.status, a.error])).toEqual([
      [null, 'UPSTREAM_TIMEOUT'],
      [204, null],
    ]);
  });

  it('is DEAD after the last try fails; a replay sends the same event again and it succeeds', async ({ onTestFinished }) => {
    const hook = await destination(['credential.created'], onTestFinished);
    receiver.script(hook.path, [{ status: 503 }]);
    await connectApiKey();
    const dead = await settled(hook.id);
    expect(dead).toMatchObject({ status: 'DEAD', nextAttemptAt: null });
    expect(dead.attempts.map((a: Json) => a.status)).toEqual([503, 503, 503]);
    await sleep(1_500);
    expect(receiver.received(hook.path)).toHaveLength(3);

    receiver.script(hook.path, [{ status: 200 }]);
    const replayed = await json<Json>(await api('POST', `/webhook-deliveries/${dead.id}/replay`), 202);
    expect(replayed).toMatchObject({ id: dead.id, status: 'PENDING' });
    const done = await settled(hook.id);
    expect(done).toMatchObject({ id: dead.id, status: 'SUCCEEDED' });
    expect(done.attempts.map((a: Json) => [a.attempt, a.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
      [4, 200],
    ]);
    const received = receiver.received(hook.path);
    expect(received).toHaveLength(4);
    expect(received[3]!.headers['webhook-id']).toBe(dead.eventId);
    expect(verify(hook.secret, received[3]!)).toEqual(JSON.parse(received[0]!.body));
    expect(await json(await api('GET', `/webhook-deliveries/${dead.id}`))).toEqual(done);
  });

  it('a replay of a delivery still being tried is refused with 409', async ({ onTestFinished }) => {
    const hook = await destination(['credential.created'], onTestFinished);
    receiver.script(hook.path, [{ status: 500 }, { status: 500 }, { status: 200 }]);
    await connectApiKey();
    let pending: Json | undefined;
    await eventually('a pending delivery', async () => {
      pending = (await deliveriesOf(hook.id))[0];
      return pending?.status === 'PENDING';
    });
    await expectError(await api('POST', `/webhook-deliveries/${pending!.id}/replay`), 409, 'WEBHOOK_DELIVERY_PENDING');
    expect((await settled(hook.id)).attempts).toHaveLength(3);
  });

  describe('a try whose job was lost, or whose worker died mid-try', () => {
    const sweep = () => (server.server.context.events as WebhookDeliveries).sweep();
    const payload = JSON.stringify({ type: 'credential.created', timestamp: new Date().toISOString(), data: { credentialId: 'lost-one' } });
    const stranded = async (destinationId: string) =>
      (await insertDeliveries(server.server.context.db, { projectId: server.projectId, eventId: `msg_lost_${destinationId}`, type: 'credential.created', payload }, [destinationId]))[0]!;
    const overdue = (id: string) => server.server.context.db.updateTable('webhook_deliveries').set({ next_attempt_at: isoIn(-120) }).where('id', '=', id).execute();

    it('a delivery recorded but never queued is sent by the sweep', async ({ onTestFinished }) => {
      const hook = await destination(['credential.created'], onTestFinished);
      const id = await stranded(hook.id);
      await overdue(id);
      await sweep();
      const delivery = await settled(hook.id);
      expect(delivery).toMatchObject({ id, status: 'SUCCEEDED' });
      expect(delivery.attempts.map((a: Json) => a.attempt)).toEqual([1]);
      expect(verify(hook.secret, receiver.received(hook.path)[0]!)).toMatchObject({ data: { credentialId: 'lost-one' } });
    });

    it('a try taken by a worker that died counts as made: the sweep queues the next one', async ({ onTestFinished }) => {
      const hook = await destination(['credential.created'], onTestFinished);
      const id = await stranded(hook.id);
      expect(await claimAttempt(server.server.context.db, id, 1, isoIn(-120))).toBeDefined();
      await sweep();
      const delivery = await settled(hook.id);
      expect(delivery.status).toBe('SUCCEEDED');
      expect(delivery.attempts.map((a: Json) => a.attempt)).toEqual([2]);
      expect(receiver.received(hook.path)).toHaveLength(1);
    });

    it('when the lost try was the last of its round, the delivery is DEAD and nothing is sent', async ({ onTestFinished }) => {
      const hook = await destination(['credential.created'], onTestFinished);
      const id = await stranded(hook.id);
      for (const attempt of [1, 2, 3]) expect(await claimAttempt(server.server.context.db, id, attempt, isoIn(-120))).toBeDefined();
      await sweep();
      expect((await settled(hook.id)).status).toBe('DEAD');
      await sleep(1_000);
      expect(receiver.received(hook.path)).toHaveLength(0);
    });

    it('removes finished deliveries older than the retention, with their tries, and keeps the rest', async ({ onTestFinished }) => {
      const hook = await destination(['credential.created'], onTestFinished);
      await connectApiKey();
      const { id: old } = await settled(hook.id);
      await connectApiKey();
      await eventually('the second delivery', async () => (await deliveriesOf(hook.id)).filter((d) => d.status === 'SUCCEEDED').length === 2);
      const db = server.server.context.db;
      await db.updateTable('webhook_deliveries').set({ updated_at: isoIn(-31 * 86_400) }).where('id', '=', old).execute();
      await sweep();
      const left = await deliveriesOf(hook.id);
      expect(left).toHaveLength(1);
      expect(left[0]!.id).not.toBe(old);
      expect(await db.selectFrom('webhook_attempts').select('attempt').where('delivery_id', '=', old).execute()).toEqual([]);
      await expectError(await api('GET', `/webhook-deliveries/${old}`), 404, 'WEBHOOK_DELIVERY_NOT_FOUND');
    });

    it('leaves alone a try that is still running or not yet due', async ({ onTestFinished }) => {
      const hook = await destination(['credential.created'], onTestFinished);
      const id = await stranded(hook.id);
      expect(await claimAttempt(server.server.context.db, id, 1, isoIn(600))).toBeDefined();
      await sweep();
      await sleep(1_500);
      expect(receiver.received(hook.path)).toHaveLength(0);
      expect((await deliveriesOf(hook.id))[0]).toMatchObject({ id, status: 'PENDING', attempts: [] });
    });
  });

  describe('each event is sent when it happens, to the destinations that asked for it', () => {
    it('credential.created through the sandbox OAuth flow, and credential.deleted when the user disconnects', async ({ onTestFinished }) => {
      const hook = await destination(['credential.created', 'credential.deleted'], onTestFinished);
      const sub = newUser('oauth-hooks');
      const credentialId = postedResult((await connectSandbox(server, sub, { login: 'hooks@example.com' })).page).credentialId as string;
      await eventually('credential.created', () => receiver.received(hook.path).length === 1);
      const [created] = receiver.received(hook.path);
      expect(verify(hook.secret, created!)).toEqual({
        type: 'credential.created',
        timestamp: expect.any(String),
        data: { projectId: server.projectId, userId: sub, credentialId, integrationId: expect.any(String), integration: 'sandbox' },
      });

      const { integrationId } = created!.json.data;
      await json(await server.sdk(sub, `/integrations/${integrationId}`, { method: 'DELETE' }));
      await eventually('credential.deleted', () => receiver.received(hook.path).length === 2);
      expect(verify(hook.secret, receiver.received(hook.path)[1]!)).toMatchObject({ type: 'credential.deleted', data: { userId: sub, credentialId, integration: 'sandbox' } });
      // Nothing secret travels: no token of the account appears in what was sent.
      const body = receiver.received(hook.path).map((r) => r.body).join('\n');
      expect(body).not.toMatch(/access|refresh|token|secret/i);
    });

    it('credential.refresh_failed when the provider refuses the grant on refresh', async ({ onTestFinished }) => {
      const hook = await destination(['credential.refresh_failed'], onTestFinished);
      const sub = newUser('revoked-hooks');
      const credentialId = postedResult((await connectSandbox(server, sub, { login: 'revoked-hooks@example.com' })).page).credentialId as string;
      const { refreshToken } = await storedSecrets(server, credentialId);
      const revoked = await fetch(`${server.url}/sandbox/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshToken!, token_type_hint: 'refresh_token', client_id: 'sandbox-client', client_secret: 'sandbox-secret' }),
      });
      expect(revoked.status).toBe(200);
      await setTokenExpiry(server, credentialId, -60);
      expect((await proxy(server, sub, 'sandbox/me')).status).toBe(401);
      expect((await credentialEvents(server, credentialId)).map((e) => e.event)).toContain('invalidated');

      await eventually('credential.refresh_failed', () => receiver.received(hook.path).length === 1);
      const [failed] = receiver.received(hook.path);
      expect(verify(hook.secret, failed!)).toMatchObject({
        type: 'credential.refresh_failed',
        data: { userId: sub, credentialId, integration: 'sandbox', reason: 'invalid_grant', status: 'INVALID' },
      });
      expect(failed!.body).not.toContain(refreshToken!);
    });

    it('workflow.run.succeeded and workflow.run.failed, each only to the destination that named it', async ({ onTestFinished }) => {
      const succeeded = await destination(['workflow.run.succeeded'], onTestFinished);
      const failed = await destination(['workflow.run.failed'], onTestFinished);
      const credentialsOnly = await destination(['credential.created'], onTestFinished);

      const publish = async (name: string, path: string) => {
        const { id } = await json<{ id: string }>(
          await api('POST', '/workflows', { integration: 'sandbox-apikey', name, trigger: { type: 'appEvent', event: 'Ping' }, steps: [{ id: 'call', type: 'request', method: 'GET', path }] }),
          201,
        );
        await json(await api('POST', `/workflows/${id}/publish`));
        return id;
      };
      const good = await publish('Works', '/me');
      const bad = await publish('Breaks', '/no-such-endpoint');
      onTestFinished(async () => {
        for (const id of [good, bad]) await api('DELETE', `/workflows/${id}`);
      });
      const { sub, credentialId } = await connectApiKey();
      for (const id of [good, bad]) await json(await server.sdk(sub, `/workflows/${id}`, { method: 'POST' }));
      const { runs } = await json<{ runs: { id: string; workflowId: string }[] }>(await api('POST', '/app-events/Ping/trigger', { userId: sub }));
      expect(runs).toHaveLength(2);
      const runOf = (workflowId: string) => runs.find((r) => r.workflowId === workflowId)!.id;

      await eventually('both run events', () => receiver.received(succeeded.path).length === 1 && receiver.received(failed.path).length === 1, 20_000);
      expect(verify(succeeded.secret, receiver.received(succeeded.path)[0]!)).toMatchObject({
        type: 'workflow.run.succeeded',
        data: { runId: runOf(good), workflowId: good, workflowVersion: 1, userId: sub, credentialId, status: 'SUCCEEDED', triggerType: 'appEvent' },
      });
      expect(verify(failed.secret, receiver.received(failed.path)[0]!)).toMatchObject({
        type: 'workflow.run.failed',
        data: { runId: runOf(bad), workflowId: bad, userId: sub, status: 'FAILED', error: { code: 'REQUEST_FAILED', stepKey: 'call' } },
      });
      // The credential-only destination heard of the account, and of no run.
      await sleep(1_000);
      expect(receiver.received(credentialsOnly.path).map((r) => r.json.type)).toEqual(['credential.created']);
      expect(receiver.received(succeeded.path)).toHaveLength(1);
      expect(receiver.received(failed.path)).toHaveLength(1);
    });

    it('a disabled destination gets nothing; enabled again, it gets the next event', async ({ onTestFinished }) => {
      const hook = await destination(['credential.created'], onTestFinished);
      expect(await json(await api('PATCH', `/webhook-destinations/${hook.id}`, { enabled: false }))).toMatchObject({ enabled: false });
      await connectApiKey();
      await sleep(1_000);
      expect(receiver.received(hook.path)).toHaveLength(0);
      expect(await deliveriesOf(hook.id)).toEqual([]);
      await json(await api('PATCH', `/webhook-destinations/${hook.id}`, { enabled: true }));
      const { credentialId } = await connectApiKey();
      await eventually('the next event', () => receiver.received(hook.path).length === 1);
      expect(receiver.received(hook.path)[0]!.json.data.credentialId).toBe(credentialId);
    });
  });

  describe('the management API', () => {
    it('creates, lists, reads, changes and removes destinations; the signing secret is shown once and stored sealed', async () => {
      const created = await json<{ destination: Json; signingSecret: string }>(
        await api('POST', '/webhook-destinations', { url: receiver.url('/crud'), events: ['credential.deleted'], description: 'Billing backend' }),
        201,
      );
      expect(created.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const id = created.destination.id;
      expect(created.destination).toEqual({
        id: expect.any(String),
        url: receiver.url('/crud'),
        events: ['credential.deleted'],
        enabled: true,
        description: 'Billing backend',
        dateCreated: expect.any(String),
        dateUpdated: expect.any(String),
      });
      const listed = await json<Json[]>(await api('GET', '/webhook-destinations'));
      expect(listed).toContainEqual(created.destination);
      expect(JSON.stringify(listed)).not.toContain(created.signingSecret);
      expect(await json(await api('GET', `/webhook-destinations/${id}`))).toEqual(created.destination);

      const row = await server.server.context.db.selectFrom('webhook_destinations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(created.signingSecret.slice('whsec_'.length));

      const changed = await json<Json>(await api('PATCH', `/webhook-destinations/${id}`, { events: ALL_EVENTS, url: receiver.url('/crud-2') }));
      expect(changed).toMatchObject({ id, events: ALL_EVENTS, url: receiver.url('/crud-2'), description: 'Billing backend' });

      const rotated = await json<{ destination: Json; signingSecret: string }>(await api('POST', `/webhook-destinations/${id}/rotate-secret`));
      expect(rotated.signingSecret).toMatch(/^whsec_/);
      expect(rotated.signingSecret).not.toBe(created.signingSecret);

      const removed = await api('DELETE', `/webhook-destinations/${id}`);
      expect(removed.status).toBe(204);
      await expectError(await api('GET', `/webhook-destinations/${id}`), 404, 'WEBHOOK_DESTINATION_NOT_FOUND');
      await expectError(await api('DELETE', `/webhook-destinations/${id}`), 404, 'WEBHOOK_DESTINATION_NOT_FOUND');
    });

    it('after a rotation, deliveries carry a signature by the new secret and by the old one', async ({ onTestFinished }) => {
      const hook = await destination(['credential.created'], onTestFinished);
      const { signingSecret } = await json<{ signingSecret: string }>(await api('POST', `/webhook-destinations/${hook.id}/rotate-secret`));
      await connectApiKey();
      await settled(hook.id);
      const [request] = receiver.received(hook.path);
      expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(verify(signingSecret, request!)).toMatchObject({ type: 'credential.created' });
      expect(verify(hook.secret, request!)).toMatchObject({ type: 'credential.created' });
    });

    it('refuses bad input with the field named, and stores nothing', async ({ onTestFinished }) => {
      const before = await json<Json[]>(await api('GET', '/webhook-destinations'));
      const url = receiver.url('/bad');
      await expectError(await api('POST', '/webhook-destinations', { events: ['credential.created'] }), 400, 'VALIDATION_ERROR', 'url');
      await expectError(await api('POST', '/webhook-destinations', { url, events: [] }), 400, 'VALIDATION_ERROR', 'events');
      await expectError(await api('POST', '/webhook-destinations', { url, events: ['credential.exploded'] }), 400, 'VALIDATION_ERROR', 'events.0');
      await expectError(await api('POST', '/webhook-destinations', { url, events: ['credential.created', 'credential.created'] }), 400, 'VALIDATION_ERROR', 'events');
      await expectError(await api('POST', '/webhook-destinations', { url, events: ['credential.created'], secret: 'mine' }), 400, 'VALIDATION_ERROR', 'secret');
      await expectError(await api('POST', '/webhook-destinations', { url: 'ftp://example.com/hook', events: ['credential.created'] }), 400, 'INVALID_URL', 'url');
      await expectError(await api('POST', '/webhook-destinations', { url: 'not a url', events: ['credential.created'] }), 400, 'INVALID_URL', 'url');
      const withPassword = await expectError(await api('POST', '/webhook-destinations', { url: 'https://user:hunter2@example.com/hook', events: ['credential.created'] }), 400, 'INVALID_URL', 'url');
      expect(JSON.stringify(withPassword)).not.toContain('hunter2');
      expect(await json(await api('GET', '/webhook-destinations'))).toEqual(before);

      const hook = await destination(['credential.created'], onTestFinished);
      const original = await json(await api('GET', `/webhook-destinations/${hook.id}`));
      await expectError(await api('PATCH', `/webhook-destinations/${hook.id}`, {}), 400, 'VALIDATION_ERROR', 'body');
      await expectError(await api('PATCH', `/webhook-destinations/${hook.id}`, { url: 'http//nope', enabled: false }), 400, 'INVALID_URL', 'url');
      await expectError(await api('PATCH', `/webhook-destinations/${hook.id}`, { enabled: 'yes' }), 400, 'VALIDATION_ERROR', 'enabled');
      expect(await json(await api('GET', `/webhook-destinations/${hook.id}`))).toEqual(original);

      await expectError(await api('GET', `/webhook-destinations/${hook.id}/deliveries?limit=0`), 400, 'VALIDATION_ERROR', 'limit');
      await expectError(await api('GET', `/webhook-destinations/${hook.id}/deliveries?status=LOST`), 400, 'VALIDATION_ERROR', 'status');
      await expectError(await api('GET', '/webhook-destinations/nope'), 404, 'WEBHOOK_DESTINATION_NOT_FOUND');
      await expectError(await api('GET', '/webhook-deliveries/nope'), 404, 'WEBHOOK_DELIVERY_NOT_FOUND');
      await expectError(await api('POST', '/webhook-deliveries/nope/replay'), 404, 'WEBHOOK_DELIVERY_NOT_FOUND');
      await expectError(await management(server, undefined, 'GET', `/projects/${server.projectId}/webhook-destinations`), 401, 'SECRET_KEY_MISSING');
    });

    it('a destination whose project may no longer reach private networks is refused at delivery by the SSRF guard: FAILED, nothing sent', async () => {
      const created = await json<{ project: { id: string }; secretKey: string }>(
        await management(server, server.adminKey, 'POST', '/projects', { name: 'Was private', allowPrivateUpstreams: true }),
        201,
      );
      const project = created.project.id;
      const own = (method: string, path: string, body?: unknown) => management(server, created.secretKey, method, `/projects/${project}${path}`, body);
      const { destination: hook } = await json<{ destination: Json }>(await own('POST', '/webhook-destinations', { url: receiver.url('/was-private'), events: ['credential.created'] }), 201);
      await json(await own('PATCH', '', { allowPrivateUpstreams: false }));

      await server.server.context.events.publish({ type: 'credential.created', projectId: project, data: { credentialId: 'guarded' } });
      const deliveries = await json<Json[]>(await own('GET', `/webhook-destinations/${hook.id}/deliveries`));
      expect(deliveries).toHaveLength(1);
      let delivery: Json = deliveries[0]!;
      await eventually('the refused try', async () => {
        delivery = await json<Json>(await own('GET', `/webhook-deliveries/${delivery.id}`));
        return delivery.status !== 'PENDING';
      });
      expect(delivery).toMatchObject({ status: 'FAILED', attempts: [expect.objectContaining({ status: null, error: 'UPSTREAM_ADDRESS_BLOCKED' })] });
      expect(receiver.received('/was-private')).toEqual([]);
    });

    it('a project that may not reach private networks cannot point a destination at one, nor use plain http', async () => {
      const other = await createManagedProject(server, 'Public only');
      const otherApi = (method: string, path: string, body?: unknown) => management(server, other.secretKey, method, `/projects/${other.projectId}${path}`, body);
      for (const url of ['https://127.0.0.1/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest', 'https://localhost/hook', 'http://example.com/hook']) {
        await expectError(await otherApi('POST', '/webhook-destinations', { url, events: ['credential.created'] }), 400, 'INVALID_URL', 'url');
      }
      expect(await json(await otherApi('GET', '/webhook-destinations'))).toEqual([]);
      // Another project's destinations are not found with this project's key, nor readable with the other's.
      const mine = await json<{ destination: Json }>(await api('POST', '/webhook-destinations', { url: receiver.url('/mine'), events: ['credential.created'] }), 201);
      await expectError(await otherApi('GET', `/webhook-destinations/${mine.destination.id}`), 404, 'WEBHOOK_DESTINATION_NOT_FOUND');
      await json(await otherApi('POST', '/webhook-destinations', { url: 'https://hooks.example.com/switchboard', events: ['credential.created'] }), 201);
      await api('DELETE', `/webhook-destinations/${mine.destination.id}`);
    });
  });
});
