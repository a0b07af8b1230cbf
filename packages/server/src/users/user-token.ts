import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { ApiError, apiError, type CodeWithStatus } from '../errors.js';
import type { SigningKey } from '../projects/project-store.js';

/**
 * User tokens: RS256 JWTs the customer's backend signs for one of its users. The project keeps public keys only,
 * several at once so keys rotate without downtime. The algorithm is pinned, so `none`, HS256 (even "signed" with
 * the public key as an HMAC secret) and every other algorithm are refused before any key is tried.
 */
export interface VerifiedUserToken {
  sub: string;
  claims: JWTPayload;
}

/** Tolerance for clocks that differ between the customer's servers and ours. */
const CLOCK_SKEW_SECONDS = 60;

const invalid = (code: CodeWithStatus<401>, message: string) => apiError(code, message);

// Parsing PEM on every request would dominate the cost of a verification.
const keyCache = new LRUCache<string, KeyObject>({ max: 1_000 });
function publicKeyObject(pem: string): KeyObject {
  let key = keyCache.get(pem);
  if (!key) {
    key = createPublicKey(pem);
    keyCache.set(pem, key);
  }
  return key;
}

/** The token from an `Authorization: Bearer ...` header. */
export function bearerToken(header: string | undefined): string {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw invalid('USER_TOKEN_MISSING', 'Authorization: Bearer <user token> is required');
  return match[1]!;
}

function audienceNamesProject(aud: string | string[], projectId: string): boolean {
  const values = Array.isArray(aud) ? aud : [aud];
  return values.some((value) => value === projectId || value.replace(/\/+$/, '').endsWith(`/${projectId}`));
}

/**
 * The token of an `Authorization` header, for looking it up among verified tokens only: the usual spelling
 * (`Bearer <token>`) is taken without a regex. Whatever else bearerToken() would refuse was never verified, so
 * it is never found, and the caller's slow way then answers it with bearerToken()'s error.
 */
export function tokenToLookUp(header: string | undefined): string {
  return header?.startsWith('Bearer ') ? header.slice(7) : bearerToken(header);
}

/**
 * Tokens verified lately, so an SDK session's many calls pay for RSA once. A hit still needs the token to have been
 * verified for this very project, the verifying key to be one of the project's keys now (a removed key ends its
 * tokens at once) and the token to be unexpired. Keyed by the token's last characters (the end of its signature)
 * and checked against the whole token: hashing the whole token (about 700 characters) cost more than the rest of
 * the lookup. A token that shares its ending with another is simply not found, and verified the slow way.
 */
const verified = new LRUCache<string, { token: string; projectId: string; result: VerifiedUserToken; publicKeyPem: string; expiresAtMs: number }>({ max: 20_000 });
const KEY_CHARS = 32;
const keyOf = (token: string) => token.slice(-KEY_CHARS);

export async function verifyUserToken(token: string, projectId: string, keys: readonly SigningKey[]): Promise<VerifiedUserToken> {
  const known = knownUserToken(token, projectId, keys);
  if (known) return known;
  const { result, publicKeyPem } = await verifyWithKeys(token, projectId, keys);
  verified.set(keyOf(token), { token, projectId, result, publicKeyPem, expiresAtMs: (result.claims.exp ?? 0) * 1000 });
  return result;
}

/** The token's verification from memory, when it was verified lately for this project and still holds; else undefined. */
export function knownUserToken(token: string, projectId: string, keys: readonly SigningKey[]): VerifiedUserToken | undefined {
  const known = verified.get(keyOf(token));
  if (known?.token !== token || known.projectId !== projectId || known.expiresAtMs <= Date.now()) return undefined;
  for (const key of keys) if (key.publicKeyPem === known.publicKeyPem) return known.result;
  return undefined;
}

async function verifyWithKeys(token: string, projectId: string, keys: readonly SigningKey[]): Promise<{ result: VerifiedUserToken; publicKeyPem: string }> {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalid('USER_TOKEN_INVALID', 'The user token is not a well-formed JWT');
  }
  if (header.alg !== 'RS256') {
    throw invalid('USER_TOKEN_INVALID', 'User tokens must be signed with RS256');
  }
  const candidates = header.kid === undefined ? keys : keys.filter((key) => key.id === header.kid);
  if (candidates.length === 0) {
    throw invalid('USER_TOKEN_UNKNOWN_KEY', 'The user token is not signed by a key of this project');
  }

  let lastError: unknown;
  for (const key of candidates) {
    try {
      const { payload } = await jwtVerify(token, publicKeyObject(key.publicKeyPem), {
        algorithms: ['RS256'],
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'iat', 'exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255 || payload.sub.includes('\0')) {
        throw invalid('USER_TOKEN_INVALID', 'The user token needs a sub claim of 1 to 255 characters');
      }
      // jose checks iat only against a maxTokenAge; a token issued in the future is refused here.
      if (payload.iat! > Math.floor(Date.now() / 1000) + CLOCK_SKEW_SECONDS) {
        throw invalid('USER_TOKEN_INVALID', "The user token's iat claim is in the future");
      }
      if (payload.aud !== undefined && !audienceNamesProject(payload.aud, projectId)) {
        throw invalid('USER_TOKEN_WRONG_AUDIENCE', 'The user token is meant for another project');
      }
      return { result: { sub: payload.sub, claims: payload }, publicKeyPem: key.publicKeyPem };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw invalid('USER_TOKEN_EXPIRED', 'The user token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw invalid('USER_TOKEN_INVALID', `The user token's ${error.claim} claim is missing or invalid`);
      }
      // A bad signature under one key may still verify under another key of the project.
      lastError = error;
    }
  }
  if (lastError instanceof joseErrors.JWSSignatureVerificationFailed) {
    throw invalid('USER_TOKEN_UNKNOWN_KEY', 'The user token is not signed by a key of this project');
  }
  throw invalid('USER_TOKEN_INVALID', 'The user token could not be verified');
}
