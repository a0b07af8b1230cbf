import { closeOnSignals, loadConfig, startServer } from '@switchboard/server';

/** Starts the server and prints where everything is. */
export async function serve(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env);
  const server = await startServer(config);
  closeOnSignals(server);
  const lines = [
    '',
    `Switchboard is running at ${config.publicUrl}`,
    `  data:      ${config.databaseUrl ? 'Postgres (DATABASE_URL)' : `${config.dataDir}/switchboard.sqlite`}`,
    `  API docs:  ${config.publicUrl}/api/openapi.json`,
    ...(config.sandbox ? [`  sandbox:   ${config.publicUrl}/sandbox (OAuth client sandbox-client / sandbox-secret)`] : []),
    ...(config.demo ? [`  demo:      ${config.publicUrl}/demo/ (the example app; turn off with SWITCHBOARD_DEMO=0)`] : []),
    ...(server.devProject
      ? [
          `  dev project ID: ${server.devProject.projectId}`,
          '  a user token:   npx switchboard token <userId>',
          '  secret key:     npx switchboard info',
        ]
      : []),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
