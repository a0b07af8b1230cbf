/**
 * Switchboard's mark: two jacks on each side of a panel, patched across by two cables. Plain SVG with no script,
 * style or external reference; it reads on light and dark browser chrome alike.
 */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#4338ca"/>
<path d="M8 10.5C16 10.5 16 21.5 24 21.5" fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round"/>
<path d="M8 21.5C11.2 21.5 12.9 19.7 14.2 17.6M17.8 14.4C19.1 12.3 20.8 10.5 24 10.5" fill="none" stroke="#a5b4fc" stroke-width="2.4" stroke-linecap="round"/>
<circle cx="8" cy="10.5" r="3" fill="#fff"/><circle cx="8" cy="21.5" r="3" fill="#a5b4fc"/>
<circle cx="24" cy="10.5" r="3" fill="#a5b4fc"/><circle cx="24" cy="21.5" r="3" fill="#fff"/>
</svg>
`;
