export { buildServer, type SwitchboardServer } from './app.js';
export type { AppContext } from './app-context.js';
export { loadConfig, type ServerConfig } from './config.js';
export { closeOnSignals, startServer } from './main.js';
export { readDevProject, type DevProjectFile } from './projects/dev-project.js';
export { SecretBox } from './secrets/envelope.js';
export { generateMasterKey, loadMasterKeys, writeMasterKeyFile } from './secrets/master-keys.js';
export { rewrapAllSecrets } from './secrets/rotate-master-key.js';
export { openStorage } from './storage/database.js';
// The storage writes a connect makes, for tools that fill a database at scale (bench:memory) the way production does.
export { ensureConnectedUser } from './users/connected-users.js';
export { insertCredential } from './credentials/credential-store.js';
