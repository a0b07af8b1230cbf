import { createHash } from 'node:crypto';
import { FAVICON_SVG } from './favicon.js';

/** The docs/ folder of the repository, named on the page: a server cannot link to it offline. */
export const DOCS: readonly { file: string; about: string }[] = [
  { file: 'sdk.md', about: 'the browser SDK (@switchboard/sdk) and the React hooks (@switchboard/react)' },
  { file: 'connect-portal.md', about: 'the Connect Portal: what your users see, theming, where it may be framed' },
  { file: 'node.md', about: 'the Node client for your backend (@switchboard/node)' },
  { file: 'api.md', about: 'the SDK REST API, the Proxy API and the management API' },
  { file: 'compatibility.md', about: 'the reference SDK (@useparagon/connect) against Switchboard' },
  { file: 'configuration.md', about: 'every environment variable' },
  { file: 'security.md', about: 'user tokens, encryption at rest, what never leaves the server' },
  { file: 'catalog.md', about: 'built-in and custom integrations, the sandbox' },
  { file: 'workflows.md', about: 'workflows, app events and the task history' },
  { file: 'webhooks.md', about: 'signed events to your backend: destinations, retries, replay' },
  { file: 'deployment.md', about: 'one instance on SQLite, several on Postgres' },
  { file: 'performance.md', about: 'the proxy, token-refresh and memory benchmarks; lookups from memory' },
  { file: 'releasing.md', about: 'versioning and publishing the npm packages' },
];

const STYLE = `
:root{color-scheme:light dark;--bg:#f5f6fa;--card:#fff;--text:#1b1f31;--muted:#596074;--border:#e1e4ee;--accent:#4338ca;--ring:#e0e3ff;--ok:#15803d}
@media (prefers-color-scheme:dark){:root{--bg:#0e1016;--card:#161922;--text:#e6e8ef;--muted:#9ba2b6;--border:#272c3a;--accent:#a5b4fc;--ring:#262b52;--ok:#4ade80}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:44rem;margin:0 auto;padding:3.5rem 1.25rem 4rem}
header{display:flex;align-items:center;gap:1rem;margin-bottom:2.25rem}
header svg{width:56px;height:56px;flex:none}
h1{margin:0;font-size:1.75rem;line-height:1.2;letter-spacing:-.01em}
.tagline{margin:.2rem 0 0;color:var(--muted)}
.status{display:inline-flex;align-items:center;gap:.45rem;margin-top:.5rem;font-size:.875rem;color:var(--muted)}
.status::before{content:"";width:.5rem;height:.5rem;border-radius:50%;background:var(--ok)}
h2{margin:2.5rem 0 .75rem;font-size:1.05rem}
ul{list-style:none;margin:0;padding:0;display:grid;gap:.75rem}
a{color:inherit;text-decoration:none;display:grid;grid-template-columns:1fr auto;gap:.1rem 1rem;padding:.9rem 1.15rem;background:var(--card);border:1px solid var(--border);border-radius:12px}
a:hover,a:focus-visible{border-color:var(--accent);outline:none;box-shadow:0 0 0 3px var(--ring)}
.name{font-weight:600}
code,.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem}
.path{color:var(--accent);align-self:center}
.what{grid-column:1/-1;color:var(--muted);font-size:.925rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.25rem;margin:0;padding:1rem 1.15rem;background:var(--card);border:1px solid var(--border);border-radius:12px}
dt code{color:var(--accent)}
dd{margin:0;color:var(--muted);font-size:.925rem}
p{margin:0 0 .75rem;color:var(--muted)}
@media (max-width:34rem){dl{grid-template-columns:1fr;gap:0}dd{margin-bottom:.5rem}}
`;

/** The only style the page may apply, by its hash: no nonce needed, the page is the same for every request. */
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const HOME_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

interface PageLink {
  name: string;
  path: string;
  what: string;
}

const link = ({ name, path, what }: PageLink) =>
  `<li><a href="${path}"><span class="name">${name}</span><span class="path">${path}</span><span class="what">${what}</span></a></li>`;

/** The page at `/`: what this server is and where to go from here. Static text only, nothing from the request. */
export function homePage(options: { demo: boolean }): string {
  const links: PageLink[] = [
    ...(options.demo
      ? [{ name: 'Demo', path: '/demo/', what: 'An in-app integrations catalog built on the browser SDK, signed in as a demo user.' }]
      : []),
    { name: 'API description', path: '/api/openapi.json', what: 'OpenAPI description of the SDK REST API and the management API.' },
    { name: 'Browser SDK', path: '/switchboard.js', what: 'The script-tag build of the SDK, for your pages: it defines window.switchboard.' },
    { name: 'Health', path: '/health', what: 'Answers {"status":"ok"} once the database is ready, for load balancers.' },
  ];
  const mark = FAVICON_SVG.replace('<svg ', '<svg aria-hidden="true" focusable="false" ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Switchboard</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
${mark}<div>
<h1>Switchboard</h1>
<p class="tagline">The self-hosted embedded integration platform.</p>
<span class="status">This server is running.</span>
</div>
</header>
<nav aria-label="This server">
<ul>
${links.map(link).join('\n')}
</ul>
</nav>
<section aria-labelledby="docs">
<h2 id="docs">Documentation</h2>
<p>In the <code>docs/</code> folder of the Switchboard repository:</p>
<dl>
${DOCS.map(({ file, about }) => `<dt><code>${file}</code></dt><dd>${about}</dd>`).join('\n')}
</dl>
</section>
</main>
</body>
</html>
`;
}
