import { parseArgs } from 'node:util';
import { generateKeys } from './commands/keys-generate.js';
import { rotateMaster } from './commands/keys-rotate-master.js';
import { info } from './commands/info.js';
import { serve } from './commands/serve.js';
import { token } from './commands/token.js';
import { managementTarget, pullWorkflows, pushWorkflows } from './commands/workflows.js';

export const USAGE = `Usage: switchboard <command>

  serve                              start the server (configuration: docs/configuration.md)
  token <userId> [--data-dir DIR] [--expires-in 1h]
                                     print a user token signed with the dev project's key
  info [--json] [--data-dir DIR]     print the dev project's id, the server URL and its secret key
  keys generate                      print a new RS256 key pair for signing user tokens
  keys rotate-master [--data-dir DIR]
                                     re-wrap every stored secret under a new master key
  workflows pull <dir>               write the project's workflows to <dir>/*.workflow.json
  workflows push <dir> [--publish]   create or update a workflow from each file; the same file twice changes
                                     nothing (SWITCHBOARD_URL, SWITCHBOARD_PROJECT_ID, SWITCHBOARD_SECRET_KEY)
`;

/** Runs one command; resolves to an exit code when it is not 0 (serve keeps running). */
export async function run(argv: string[]): Promise<number | undefined> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      'expires-in': { type: 'string' },
      publish: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  // --data-dir is the same setting as SWITCHBOARD_DATA_DIR.
  const env = values['data-dir'] ? { ...process.env, SWITCHBOARD_DATA_DIR: values['data-dir'] } : process.env;
  switch (command) {
    case 'serve':
      await serve(env);
      return undefined;
    case 'token':
      if (!rest[0]) throw new Error('token needs a user id: switchboard token <userId>');
      process.stdout.write(`${await token(env, rest[0], values['expires-in'] ?? '1h')}\n`);
      return 0;
    case 'info':
      process.stdout.write(info(env, values.json));
      return 0;
    case 'keys':
      if (rest[0] === 'generate') {
        process.stdout.write(generateKeys());
        return 0;
      }
      if (rest[0] === 'rotate-master') {
        process.stdout.write(await rotateMaster(env));
        return 0;
      }
      throw new Error('keys takes "generate" or "rotate-master"');
    case 'workflows': {
      const [action, dir] = rest;
      if ((action !== 'pull' && action !== 'push') || !dir) throw new Error('workflows takes "pull <dir>" or "push <dir> [--publish]"');
      const target = managementTarget(env);
      process.stdout.write(action === 'pull' ? await pullWorkflows(target, dir) : await pushWorkflows(target, dir, values.publish));
      return 0;
    }
    default:
      process.stderr.write(`switchboard: unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}
