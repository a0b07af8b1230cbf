import { loadConfig, readDevProject, type DevProjectFile } from '@switchboard/server';

/** The dev project's local keys from the data dir, or a clear error saying how to get them. */
export function requireDevProject(env: NodeJS.ProcessEnv): { devProject: DevProjectFile; url: string; dataDir: string } {
  const config = loadConfig(env);
  const devProject = readDevProject(config.dataDir);
  if (!devProject) {
    throw new Error(`no dev project in ${config.dataDir}: start the server once (npm start) or pass --data-dir`);
  }
  return { devProject, url: config.publicUrl, dataDir: config.dataDir };
}
