/** The catalog's icons: simple-icons' where it has the brand, drawn here where it does not, none from a CDN. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const resolvePackageFile = createRequire(import.meta.url).resolve;

/**
 * A brand's icon from simple-icons, read from the package's file for that one brand (`simpleIcon('github')`). The
 * package's index holds all of its 3,400 icons: imported, it kept 13 MB and 50,000 objects in every server's heap
 * (a fifth of an idle one), which each full collection walked, for the ten icons the catalog shows.
 */
export function simpleIcon(slug: string): string {
  return readFileSync(resolvePackageFile(`simple-icons/icons/${slug}.svg`), 'utf8');
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A neutral rounded-square monogram, e.g. `monogramSvg('Salesforce', 'SF')`. */
export function monogramSvg(title: string, letters: string): string {
  return (
    `<svg role="img" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><title>${escapeXml(title)}</title>` +
    `<rect x="1" y="1" width="22" height="22" rx="5" fill="none" stroke="currentColor" stroke-width="2"/>` +
    `<text x="12" y="16" text-anchor="middle" font-family="system-ui, sans-serif" font-size="${letters.length > 1 ? 9 : 12}" font-weight="700" fill="currentColor">${escapeXml(letters)}</text>` +
    `</svg>`
  );
}

/** The sandbox providers' icon: a sand bucket. */
export const sandboxIconSvg =
  '<svg role="img" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><title>Sandbox</title>' +
  '<path d="M5 8h14l-2 13H7L5 8z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>' +
  '<path d="M8 8a4 4 0 0 1 8 0" fill="none" stroke="currentColor" stroke-width="2"/>' +
  '<path d="M3 21h18" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>';
