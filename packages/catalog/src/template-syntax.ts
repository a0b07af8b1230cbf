/**
 * The one definition of template and input-pattern syntax, shared by catalog checks, custom-integration checks,
 * install-input validation and the template engine: if they disagreed, a definition accepted by one would fail in
 * another (an input id with `-` skipping the "needs a pattern" check, a pattern valid only with the `u` flag).
 */

/** `{{name}}`, spaces allowed inside the braces; names are word characters, `.` and `-`. */
const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

/** The placeholder names a template uses, in order (repeats kept). */
export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

/** Replaces each placeholder with what `fill` returns for its name. */
export function fillPlaceholders(template: string, fill: (name: string) => string): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => fill(name));
}

/**
 * Compiles an input's `pattern` as every check applies it: anchored to the whole value, with the `u` flag so a
 * character class counts code points (an emoji is one character, `\p{Lu}` is a property). Throws a SyntaxError
 * when the pattern is no regular expression.
 */
export function compileInputPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** Whether a pattern compiles; false means it would refuse every value. */
export function isValidInputPattern(pattern: string): boolean {
  try {
    compileInputPattern(pattern);
    return true;
  } catch {
    return false;
  }
}

/** Whether the whole value matches the pattern (a pattern that does not compile matches nothing). */
export function matchesInputPattern(pattern: string, value: string): boolean {
  return isValidInputPattern(pattern) && compileInputPattern(pattern).test(value);
}
