import { createPrivateKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { SwitchboardError } from './errors.js';
import { checkPermissions, PERMISSIONS_CLAIM, type Permissions } from './permissions.js';

/**
 * User tokens: RS256 JWTs that the customer's backend signs for one of its users. Switchboard keeps only the
 * public half of the key and verifies every SDK call with it (RS256 is pinned on the server too).
 */

/** What the server accepts as `sub`: 1 to 255 characters, no NUL. */
const MAX_USER_ID_LENGTH = 255;
/** jose (and the server) refuse RS256 keys shorter than this. */
const MIN_MODULUS_BITS = 2048;

export interface SignUserTokenOptions {
  /**
   * How long the token is valid: a jose duration string (`'1h'`, `'15m'`, `'2 days'`; `'-5m'` or `'5m ago'` for one
   * already expired, useful in tests) or a number of seconds from now. Default `'1h'`.
   */
  expiresIn?: string | number;
  /**
   * JWT permissions, put in the `urn:useparagon:connect:permissions` claim: an object from scope (`integration:*`,
   * `integration:<type>`, `credential:*`, `credential:<id>`, `configuration:*`, `configuration:ext:<id>`) to
   * permission (`true`, `false` or `{ visible?, proxy?, events?, workflows? }`), the most specific scope winning.
   * Checked here as the server checks it. It travels in the token only; Switchboard never stores it. See
   * {@link memberPermissions} for a member of an organisation that shares one connected user.
   */
  permissions?: Permissions;
  /** The `aud` claim; when present the server requires it to name the project (`<host>/<projectId>` or the id). */
  audience?: string;
  /**
   * The `kid` header: the id of the project's signing key (as registered with the management API). With it the
   * server tries that key only; without it, each of the project's keys in turn.
   */
  keyId?: string;
}

/** A private key from a PEM string (PKCS#8 or PKCS#1) or an already parsed KeyObject, checked for RS256. */
function rsaPrivateKey(privateKey: string | KeyObject): KeyObject {
  let key: KeyObject;
  if (privateKey instanceof KeyObject) {
    key = privateKey;
  } else {
    if (typeof privateKey !== 'string' || privateKey.trim() === '') {
      throw new SwitchboardError('INVALID_PRIVATE_KEY', 'privateKeyPem must be an RSA private key in PEM format');
    }
    try {
      key = createPrivateKey(privateKey);
    } catch {
      // The parser's own message is dropped: the key (or part of it) must never reach a log.
      throw new SwitchboardError('INVALID_PRIVATE_KEY', 'privateKeyPem must be an RSA private key in PEM format (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)');
    }
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
    throw new SwitchboardError('INVALID_PRIVATE_KEY', `privateKeyPem must be an RSA private key (got a ${key.type} ${key.asymmetricKeyType ?? 'secret'} key)`);
  }
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_MODULUS_BITS) {
    throw new SwitchboardError('INVALID_PRIVATE_KEY', `privateKeyPem must be an RSA key of at least ${MIN_MODULUS_BITS} bits`);
  }
  return key;
}

function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new SwitchboardError('INVALID_USER_ID', 'userId must be a non-empty string (your id for the user or organisation)');
  }
  if (userId.length > MAX_USER_ID_LENGTH) {
    throw new SwitchboardError('INVALID_USER_ID', `userId must be at most ${MAX_USER_ID_LENGTH} characters (got ${userId.length})`);
  }
  if (userId.includes('\0')) throw new SwitchboardError('INVALID_USER_ID', 'userId must not contain NUL characters');
}

/** `exp` as seconds since the epoch, from a duration string or a number of seconds after `iat`. */
function expiry(expiresIn: string | number, iat: number, jwt: SignJWT): void {
  if (typeof expiresIn === 'number') {
    if (!Number.isFinite(expiresIn)) throw new SwitchboardError('INVALID_EXPIRES_IN', 'expiresIn must be a finite number of seconds or a duration such as "1h"');
    jwt.setExpirationTime(iat + Math.floor(expiresIn));
    return;
  }
  if (typeof expiresIn !== 'string') throw new SwitchboardError('INVALID_EXPIRES_IN', 'expiresIn must be a number of seconds or a duration such as "1h"');
  try {
    // jose parses the duration ("1h", "30 minutes", "-5m", "5m ago") relative to now.
    jwt.setExpirationTime(expiresIn);
  } catch {
    throw new SwitchboardError('INVALID_EXPIRES_IN', `expiresIn "${expiresIn.slice(0, 50)}" is not a duration such as "1h", "15m" or "2 days"`);
  }
}

/**
 * Signs a user token for `userId` with the project's private key: an RS256 JWT with `sub`, `iat` and `exp`, plus
 * the permissions claim, `aud` and the `kid` header when asked. Pass it to the browser SDK, or to
 * {@link createUserClient} to call the SDK REST API from your backend.
 *
 * @param privateKeyPem the RSA private key (PEM, at least 2048 bits) whose public half is registered with the project.
 * @param userId your id for the user (or organisation): the token's `sub`, 1 to 255 characters.
 * @throws SwitchboardError `INVALID_PRIVATE_KEY`, `INVALID_USER_ID`, `INVALID_EXPIRES_IN`, `INVALID_PERMISSIONS`,
 *   `INVALID_AUDIENCE` or `INVALID_KEY_ID`.
 */
export async function signUserToken(privateKeyPem: string | KeyObject, userId: string, options: SignUserTokenOptions = {}): Promise<string> {
  checkUserId(userId);
  const key = rsaPrivateKey(privateKeyPem);
  const { expiresIn = '1h', permissions, audience, keyId } = options;
  if (permissions !== undefined) checkPermissions(permissions);
  if (audience !== undefined && (typeof audience !== 'string' || audience === '')) {
    throw new SwitchboardError('INVALID_AUDIENCE', 'audience must be a non-empty string such as "<host>/<projectId>"');
  }
  if (keyId !== undefined && (typeof keyId !== 'string' || keyId === '')) {
    throw new SwitchboardError('INVALID_KEY_ID', "keyId must be the non-empty id of one of the project's signing keys");
  }

  const iat = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(permissions ? { [PERMISSIONS_CLAIM]: permissions } : {})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(keyId !== undefined && { kid: keyId }) })
    .setSubject(userId)
    .setIssuedAt(iat);
  if (audience !== undefined) jwt.setAudience(audience);
  expiry(expiresIn, iat, jwt);
  return jwt.sign(key);
}

/** A PEM key pair for user tokens: register `publicKeyPem` with the project, keep `privateKeyPem` on your backend. */
export interface SigningKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * Generates an RSA key pair for signing user tokens (2048 bits unless told otherwise), e.g. when rotating keys:
 * add the new public key with `management.addSigningKey`, sign with the new private key and its `keyId`, then
 * remove the old key once tokens signed with it have expired.
 */
export function generateSigningKeyPair(modulusLength = 2048): SigningKeyPair {
  if (!Number.isInteger(modulusLength) || modulusLength < MIN_MODULUS_BITS) {
    throw new SwitchboardError('INVALID_OPTIONS', `modulusLength must be an integer of at least ${MIN_MODULUS_BITS}`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
