import { afterEach, describe, expect, it, vi } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import type { IntegrationMetadata, SdkEventName, SwitchboardSDK, SwitchboardUser } from '@switchboard/sdk';
import { SwitchboardProvider, useIntegrationMetadata, useSwitchboard, useSwitchboardUser } from './index.js';
import { storeFor } from './store.js';

const SANDBOX: IntegrationMetadata = {
  type: 'sandbox',
  name: 'Sandbox',
  brandColor: '#7C3AED',
  icon: 'http://switchboard.test/icons/sandbox.svg',
  authenticationType: 'oauth',
  description: 'A sandbox',
};

/** Just the SDK surface the hooks use: user state, metadata, and subscribe. */
function fakeSdk() {
  let user: SwitchboardUser = { authenticated: false };
  let metadata: IntegrationMetadata[] = [];
  const handlers = new Map<string, Set<() => void>>();
  const sdk = {
    getUser: () => user,
    // A new array on every call, as the real SDK answers.
    getIntegrationMetadata: ((type?: string) => (type ? metadata.find((item) => item.type === type) : metadata.map((item) => ({ ...item })))) as SwitchboardSDK['getIntegrationMetadata'],
    subscribe(name: SdkEventName, handler: () => void) {
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name)!.add(handler);
      return () => handlers.get(name)!.delete(handler);
    },
  } as unknown as SwitchboardSDK;
  return {
    sdk,
    signIn(userId: string) {
      user = { authenticated: true, userId, integrations: {}, meta: {}, project: { id: 'project-1', name: 'Store test', accessibleFeatures: [] }, resources: [] };
      metadata = [SANDBOX];
    },
    emit(name: SdkEventName) {
      for (const handler of handlers.get(name) ?? []) handler();
    },
    listeners: (name: SdkEventName) => handlers.get(name)?.size ?? 0,
  };
}

afterEach(() => {
  delete (globalThis as { switchboard?: unknown }).switchboard;
});

describe('the SDK store behind the hooks', () => {
  it('re-reads the user on onUserChange (authenticate, logout) and notifies listeners once per change', () => {
    const fake = fakeSdk();
    const store = storeFor(fake.sdk);
    const listener = vi.fn();
    const unsubscribe = store.subscribe(listener);
    expect(store.getSnapshot().user).toEqual({ authenticated: false });

    fake.signIn('user-1');
    fake.emit('onUserChange');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().user).toMatchObject({ authenticated: true, userId: 'user-1' });
    expect(store.getSnapshot().metadata).toEqual([SANDBOX]);

    // The same user object (the metadata answered as a fresh array all the same): same snapshot, no render.
    const before = store.getSnapshot();
    fake.emit('onUserChange');
    expect(store.getSnapshot()).toBe(before);
    expect(listener).toHaveBeenCalledTimes(1);

    unsubscribe();
    expect(fake.listeners('onUserChange')).toBe(0);
  });

  it('reads the SDK afresh while nobody listens', () => {
    const fake = fakeSdk();
    const store = storeFor(fake.sdk);
    fake.signIn('user-3');
    expect(store.getSnapshot().user).toMatchObject({ userId: 'user-3' });
  });
});

describe('the hooks', () => {
  const Probe = () => {
    const user = useSwitchboardUser();
    const all = useIntegrationMetadata();
    const one = useIntegrationMetadata('sandbox');
    return `${user.authenticated ? user.userId : 'signed out'}|${all.length}|${one?.name ?? '-'}`;
  };

  it('read the SDK given to SwitchboardProvider', () => {
    const fake = fakeSdk();
    fake.signIn('provided');
    expect(renderToString(createElement(SwitchboardProvider, { sdk: fake.sdk }, createElement(Probe)))).toBe('provided|1|Sandbox');
  });

  it('fall back to window.switchboard (the script-tag build) without a provider', () => {
    const fake = fakeSdk();
    fake.signIn('global');
    (globalThis as { switchboard?: SwitchboardSDK }).switchboard = fake.sdk;
    expect(renderToString(createElement(Probe))).toBe('global|1|Sandbox');
  });

  it('throw a clear error when there is neither', () => {
    const Sdk = () => (useSwitchboard(), null);
    expect(() => renderToString(createElement(Sdk))).toThrow(/SwitchboardProvider.*switchboard\.js/s);
  });
});
