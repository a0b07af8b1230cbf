// @ts-check
// A customer's backend script using the packed @switchboard/node: sign a user token, connect an API-key account and
// read the user state as that user, then list connected users with the management API. Prints one JSON line.
import { createManagementClient, createUserClient, signUserToken, SwitchboardApiError } from '@switchboard/node';

/** @param {string} name */
function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const host = env('SWITCHBOARD_URL');
const projectId = env('SWITCHBOARD_PROJECT_ID');
const userId = env('APP_USER_ID');

const userToken = await signUserToken(env('SWITCHBOARD_PRIVATE_KEY'), userId, { keyId: env('SWITCHBOARD_KEY_ID'), expiresIn: '10m' });
const user = createUserClient({ host, projectId, userToken });
const credential = await user.connectCredential('sandbox-apikey', { apiKey: env('SANDBOX_API_KEY') });
const state = await user.getUser();
const sandboxMe = await user.request('sandbox-apikey', '/me');

const management = createManagementClient({ host, projectId, secretKey: env('SWITCHBOARD_SECRET_KEY') });
const connectedUsers = await management.listConnectedUsers();

// The error classes a caller checks with instanceof are the ones the package throws.
let wrongKeyError = 'none';
try {
  await createManagementClient({ host, projectId, secretKey: 'sk_not_this_project' }).getProject();
} catch (error) {
  wrongKeyError = error instanceof SwitchboardApiError ? `${error.status} ${error.code}` : String(error);
}

console.log(
  JSON.stringify({
    userToken,
    credentialId: credential.id,
    userId: state.userId,
    connected: Object.keys(state.integrations).filter((type) => state.integrations[type]?.enabled),
    sandboxMe,
    connectedUser: connectedUsers.find((connectedUser) => connectedUser.userId === userId)?.credentials.map((c) => c.id),
    wrongKeyError,
  }),
);
