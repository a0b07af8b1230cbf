import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { checkDestinationUrl } from './destination-url.js';

const refusal = (url: string, allowPrivate: boolean) => {
  try {
    checkDestinationUrl(url, allowPrivate);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return { code: (error as ApiError).code, field: (error as ApiError).details.field, message: (error as ApiError).message };
  }
  throw new Error(`${url} was accepted`);
};

describe('checkDestinationUrl', () => {
  it('accepts public https URLs, keeping path and query', () => {
    expect(checkDestinationUrl('https://api.example.com/hooks/switchboard?tenant=1', false)).toBe('https://api.example.com/hooks/switchboard?tenant=1');
    expect(checkDestinationUrl('https://203.0.114.7:8443/hooks', false)).toBe('https://203.0.114.7:8443/hooks');
  });

  it('refuses plain http, other schemes and text that is no URL, naming the url field', () => {
    for (const url of ['http://api.example.com/hooks', 'ftp://example.com/', 'file:///etc/passwd', 'example.com/hooks', '']) {
      expect(refusal(url, false)).toMatchObject({ code: 'INVALID_URL', field: 'url' });
    }
  });

  it('refuses private, loopback and link-local addresses unless the project allows private upstreams', () => {
    for (const url of ['https://127.0.0.1/', 'https://10.1.2.3/', 'https://169.254.169.254/latest/meta-data', 'https://[::1]/', 'https://[fd00:ec2::254]/', 'https://localhost:8443/']) {
      expect(refusal(url, false)).toMatchObject({ code: 'INVALID_URL', field: 'url' });
      expect(checkDestinationUrl(url, true)).toBe(new URL(url).toString());
    }
    expect(checkDestinationUrl('http://127.0.0.1:9000/hooks', true)).toBe('http://127.0.0.1:9000/hooks');
  });

  it('refuses a user name or password in the URL without repeating it, and a fragment', () => {
    const refused = refusal('https://admin:s3cret-pass@example.com/hooks', false);
    expect(refused).toMatchObject({ code: 'INVALID_URL', field: 'url' });
    expect(refused.message).not.toContain('s3cret-pass');
    expect(refusal('https://example.com/hooks#part', false)).toMatchObject({ code: 'INVALID_URL' });
  });
});
