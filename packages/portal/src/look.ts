/**
 * The portal's look: theme, accent colour and font, from the config the SDK sends (connect() options over the
 * integration's portal settings, which the server resolved over the project's look).
 */
export interface Look {
  brandColor?: string;
  accentColor?: string;
  theme?: 'light' | 'dark' | 'system';
  fontFamily?: string;
}

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
/** Font names and generic families only: a font is never fetched from anywhere. */
const FONT = /^[\w\s,'"-]{1,200}$/;

/** Relative luminance of a #rgb / #rrggbb colour (WCAG), to pick readable text on it. */
function luminance(hex: string): number {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d) : [hex.slice(1, 3), hex.slice(3, 5), hex.slice(5, 7)];
  const [r, g, b] = digits.map((pair) => {
    const channel = parseInt(pair, 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

export function applyLook(root: HTMLElement, look: Look): void {
  const accent = [look.accentColor, look.brandColor].find((colour): colour is string => typeof colour === 'string' && HEX.test(colour));
  if (accent) {
    root.style.setProperty('--accent', accent);
    // Text on the accent: whichever of white or near-black contrasts more.
    const onAccent = (1.05 / (luminance(accent) + 0.05)) >= ((luminance(accent) + 0.05) / 0.0565) ? '#ffffff' : '#111418';
    root.style.setProperty('--on-accent', onAccent);
  } else {
    root.style.removeProperty('--accent');
    root.style.removeProperty('--on-accent');
  }
  if (typeof look.fontFamily === 'string' && FONT.test(look.fontFamily)) root.style.setProperty('--font', look.fontFamily);
  else root.style.removeProperty('--font');
  chosen.set(root, look.theme === 'light' || look.theme === 'dark' ? look.theme : 'system');
  showTheme(root);
}

/** The user's system setting, followed while the theme is `system`; the stylesheet knows only light and dark. */
const systemDark = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;
const chosen = new Map<HTMLElement, 'light' | 'dark' | 'system'>();

function showTheme(root: HTMLElement): void {
  const theme = chosen.get(root) ?? 'system';
  root.dataset.theme = theme === 'system' ? (systemDark?.matches ? 'dark' : 'light') : theme;
}

systemDark?.addEventListener('change', () => {
  for (const root of chosen.keys()) showTheme(root);
});
