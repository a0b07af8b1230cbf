import { requireDevProject } from './dev-project.js';

/** The dev project's id, the server URL and the project's secret key (for the management API). */
export function info(env: NodeJS.ProcessEnv, json: boolean): string {
  const { devProject, url, dataDir } = requireDevProject(env);
  const facts = { projectId: devProject.projectId, url, secretKey: devProject.secretKey };
  if (json) return `${JSON.stringify(facts, null, 2)}\n`;
  return [`Project ID:  ${facts.projectId}`, `Server:      ${facts.url}`, `Secret key:  ${facts.secretKey}`, `Data dir:    ${dataDir}`, ''].join('\n');
}
