import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('refuses an admin key shorter than 32 characters, saying how to make one', () => {
    expect(() => loadConfig({ SWITCHBOARD_ADMIN_KEY: 'a'.repeat(31) })).toThrow(/SWITCHBOARD_ADMIN_KEY must be at least 32 characters.*openssl rand/);
    expect(() => loadConfig({ SWITCHBOARD_ADMIN_KEY: 'admin' })).toThrow(/at least 32/);
  });

  it('accepts an admin key of 32 characters, and none at all (one is generated)', () => {
    expect(loadConfig({ SWITCHBOARD_ADMIN_KEY: 'k'.repeat(32) }).adminKey).toBe('k'.repeat(32));
    expect(loadConfig({}).adminKey).toBeUndefined();
  });
});
