/**
 * Customer-supplied icons are served from our origin, so an SVG that can run script would be stored XSS.
 * Accept plain drawing SVG only; icons are also served with a CSP that forbids script (icon-routes.ts).
 */
const FORBIDDEN = [/<script/i, /<foreignObject/i, /\son[a-z]+\s*=/i, /javascript:/i, /<iframe/i, /<embed/i, /<object/i, /<!ENTITY/i, /xlink:href\s*=\s*["'](?!#)/i, /\shref\s*=\s*["'](?!#)/i];
const MAX_ICON_BYTES = 64 * 1024;

/** A reason the SVG is refused, or undefined. */
export function invalidSvgIcon(svg: string): string | undefined {
  if (Buffer.byteLength(svg) > MAX_ICON_BYTES) return 'must be at most 64 KB';
  if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/i.test(svg) || !/<\/svg>\s*$/i.test(svg)) return 'must be an SVG document';
  if (FORBIDDEN.some((pattern) => pattern.test(svg))) return 'must not contain scripts, event handlers or external references';
  return undefined;
}
