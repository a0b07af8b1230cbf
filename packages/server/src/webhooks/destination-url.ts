import { isIP } from 'node:net';
import { apiError } from '../errors.js';
import { isPrivateAddress } from '../providers/network-policy.js';

/**
 * A destination URL as stored: https (plain http only where the project may reach private networks, as its
 * workflow Request steps), no user name or password (it would be a secret shown in every listing), and no private
 * IP literal. Host names are judged again by the SSRF guard at every delivery, on the addresses they resolve to.
 */
export function checkDestinationUrl(text: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('url must be an absolute https URL, such as https://api.example.com/switchboard-events');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw invalid(allowPrivate ? 'url must use https or http' : 'url must use https');
  }
  if (url.username || url.password) throw invalid('url must not carry a user name or password: check the signature instead');
  if (url.hash) throw invalid('url must not have a #fragment');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!allowPrivate && (host === 'localhost' || (isIP(host) && isPrivateAddress(host)))) {
    throw invalid('url names a private or internal address; Switchboard sends webhooks only to public addresses here');
  }
  return url.toString();
}

const invalid = (message: string) => apiError('INVALID_URL', message, { field: 'url' });
