import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Workflow, WorkflowDefinition } from '@switchboard/wire';

/**
 * `switchboard workflows pull|push <dir>`: workflow definitions as files in a git repository, one
 * `<name>.workflow.json` each, holding the workflow's `id` beside its definition. Pushing a file whose definition is
 * the latest version already changes nothing; a file without an `id` creates the workflow and gets its id written in.
 */

export interface ManagementTarget {
  url: string;
  projectId: string;
  secretKey: string;
}

/** The management API's settings from the environment (SWITCHBOARD_URL, SWITCHBOARD_PROJECT_ID, SWITCHBOARD_SECRET_KEY). */
export function managementTarget(env: NodeJS.ProcessEnv): ManagementTarget {
  const url = (env.SWITCHBOARD_URL ?? `http://localhost:${env.PORT ?? 4000}`).replace(/\/+$/, '');
  const projectId = env.SWITCHBOARD_PROJECT_ID;
  const secretKey = env.SWITCHBOARD_SECRET_KEY;
  if (!projectId || !secretKey) {
    throw new Error('workflows needs SWITCHBOARD_PROJECT_ID and SWITCHBOARD_SECRET_KEY (and SWITCHBOARD_URL when the server is not on localhost:4000)');
  }
  return { url, projectId, secretKey };
}

async function call<T>(target: ManagementTarget, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${target.url}/api/v1/projects/${encodeURIComponent(target.projectId)}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.secretKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) {
    let reason = text;
    try {
      const error = JSON.parse(text) as { message?: string; code?: string };
      reason = `${error.code ?? response.status}: ${error.message ?? text}`;
    } catch {
      // not JSON: the text as it is
    }
    throw new Error(`${method} ${path} answered ${response.status} (${reason})`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A file name for a workflow: its name in lower case, words joined by `-`, and the first eight characters of its id. */
const fileNameOf = (workflow: Workflow) =>
  `${workflow.definition.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'workflow'}-${workflow.id.slice(0, 8)}.workflow.json`;

const fileText = (id: string, definition: WorkflowDefinition) => `${JSON.stringify({ id, ...definition }, null, 2)}\n`;

/** Writes every workflow's latest definition into `dir`; answers one line per file. */
export async function pullWorkflows(target: ManagementTarget, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const workflows = await call<Workflow[]>(target, 'GET', '/workflows');
  const lines = workflows.map((workflow) => {
    const file = fileNameOf(workflow);
    writeFileSync(join(dir, file), fileText(workflow.id, workflow.definition));
    return `pulled ${file} (version ${workflow.latestVersion})`;
  });
  return lines.length ? `${lines.join('\n')}\n` : 'no workflows in this project\n';
}

/** Sends every `*.workflow.json` of `dir`; with `publish`, publishes each whose latest version is not the published one. */
export async function pushWorkflows(target: ManagementTarget, dir: string, publish: boolean): Promise<string> {
  const lines: string[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.workflow.json')).sort()) {
    const path = join(dir, file);
    let parsed: { id?: string } & WorkflowDefinition;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as typeof parsed;
    } catch (error) {
      throw new Error(`${file} is not JSON: ${(error as Error).message}`);
    }
    const { id, ...definition } = parsed;
    let workflow: Workflow;
    if (id) {
      const before = await call<Workflow>(target, 'GET', `/workflows/${encodeURIComponent(id)}`);
      workflow = await call<Workflow>(target, 'PUT', `/workflows/${encodeURIComponent(id)}`, definition);
      lines.push(workflow.latestVersion === before.latestVersion ? `unchanged ${file}` : `updated ${file} to version ${workflow.latestVersion}`);
    } else {
      workflow = await call<Workflow>(target, 'POST', '/workflows', definition);
      writeFileSync(path, fileText(workflow.id, workflow.definition));
      lines.push(`created ${file} (id ${workflow.id})`);
    }
    if (publish && workflow.publishedVersion !== workflow.latestVersion) {
      await call<Workflow>(target, 'POST', `/workflows/${encodeURIComponent(workflow.id)}/publish`);
      lines.push(`published ${file} version ${workflow.latestVersion}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : `no *.workflow.json files in ${dir}\n`;
}
