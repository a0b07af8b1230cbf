/**
 * Customer-supplied icons are served from our origin, so an SVG that can run script would be stored XSS.
 * Accept plain drawing SVG only; icons are also served with a CSP that forbids script (icon-routes.ts).
 */
const FORBIDDEN = [
  /<script/i,
  /<foreignObject/i,
  // HTML parsers (an icon inlined in a page) also take `/` and a closing quote as attribute separators.
  /[\s/"']on[a-z]+\s*=/i,
  /javascript:/i,
  /<iframe/i,
  /<embed/i,
  /<object/i,
  /<!ENTITY/i,
  /xlink:href\s*=\s*["'](?!#)/i,
  /\shref\s*=\s*["'](?!#)/i,
  // A link target set by animation (`<animate attributeName="href" values="...">`).
  /attributeName\s*=\s*["']?\s*(?:xlink:)?href/i,
  // Named references other than XML's five are not XML (and an HTML parser decodes `&colon;` and friends).
  /&(?![#]|(?:amp|lt|gt|quot|apos);)/i,
  // CSS that loads something: `@import`, or `url(...)` that is not a `#fragment` of the icon itself.
  /@import/i,
  /url\s*\((?!\s*["']?\s*#)/i,
];
const MAX_ICON_BYTES = 64 * 1024;

/** A reason the SVG is refused, or undefined. */
export function invalidSvgIcon(svg: string): string | undefined {
  if (Buffer.byteLength(svg) > MAX_ICON_BYTES) return 'must be at most 64 KB';
  if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/i.test(svg) || !/<\/svg>\s*$/i.test(svg)) return 'must be an SVG document';
  // Numeric character references could spell `javascript:` past the checks: check the decoded text too.
  const decoded = svg.replace(/&#(x[0-9a-f]+|[0-9]+);?/gi, (_ref, code: string) =>
    String.fromCodePoint(Math.min(Number(code[0] === 'x' || code[0] === 'X' ? `0${code}` : code), 0x10ffff)),
  );
  if ([svg, decoded].some((text) => FORBIDDEN.some((pattern) => pattern.test(text)))) {
    return 'must not contain scripts, event handlers or external references';
  }
  return undefined;
}
