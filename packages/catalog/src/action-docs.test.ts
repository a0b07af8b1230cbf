import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtInIntegrations, type IntegrationAction } from './index.js';

const workflowsDoc = fileURLToPath(new URL('../../../docs/workflows.md', import.meta.url));
const code = (text: string) => `\`${text}\``;

/** One row of docs/workflows.md's table of catalog actions; integrations with the same actions share a row. */
function row(types: string[], action: IntegrationAction): string {
  const properties = Object.keys(action.inputSchema.properties);
  const required = properties.filter((name) => action.inputSchema.required?.includes(name));
  const optional = properties.filter((name) => !required.includes(name));
  const inputs = [required.map(code).join(', '), optional.length > 0 ? `optional ${optional.map(code).join(', ')}` : ''].filter(Boolean).join('; ') || 'none';
  const output = action.output === undefined ? 'the answer' : typeof action.output === 'string' ? code(action.output) : Object.keys(action.output).map(code).join(', ');
  return `| ${types.map(code).join(', ')} | ${code(action.name)}: ${action.title} | ${code(`${action.method} ${action.path}`)} | ${inputs} | ${output} |`;
}

function expectedRows(): string[] {
  const groups = new Map<string, { types: string[]; actions: IntegrationAction[] }>();
  for (const definition of builtInIntegrations.filter((d) => d.actions?.length)) {
    const key = JSON.stringify(definition.actions);
    const group = groups.get(key) ?? { types: [], actions: definition.actions! };
    group.types.push(definition.type);
    groups.set(key, group);
  }
  return [...groups.values()].flatMap((group) => group.actions.map((action) => row(group.types, action)));
}

describe("docs/workflows.md's table of catalog actions", () => {
  it('lists every action of the catalog with its call, inputs and output, and nothing else', () => {
    const section = readFileSync(workflowsDoc, 'utf8').split(/^## Integration actions$/m)[1]?.split(/^## /m)[0] ?? '';
    const documented = section.split('\n').filter((line) => /^\| `[^|]+` \| `[A-Z0-9_]+`: /.test(line));
    expect(documented, `expected rows:\n${expectedRows().join('\n')}`).toEqual(expectedRows());
  });
});
