/**
 * A Node flag (`--import=data:…`) that registers a resolve hook refusing every import of the given specifiers, in
 * the process and whatever it loads: a test's proof that a module is never loaded. The error says
 * `refused to load <specifier>`.
 */
export function refusingImports(specifiers: string[]): string {
  const hook = `const refused = new Set(${JSON.stringify(specifiers)});
export async function resolve(specifier, context, next) {
  if (refused.has(specifier)) throw new Error('refused to load ' + specifier);
  return next(specifier, context);
}`;
  const registration = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`;
  return `--import=data:text/javascript,${encodeURIComponent(registration)}`;
}
