import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { requireDevProject } from './dev-project.js';

/** A user token for `userId`, signed with the dev project's private key (local use only). */
export async function token(env: NodeJS.ProcessEnv, userId: string, expiresIn: string): Promise<string> {
  const { devProject } = requireDevProject(env);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: devProject.signingKeyId })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(createPrivateKey(devProject.privateKeyPem));
}
