/**
 * The sandbox's only HTML: the sign-in-and-consent page and the error page. Self-contained (inline CSS, no
 * scripts, no external resources) so it works offline and inside any Content-Security-Policy; everything
 * echoed is escaped.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are',
  offline_access: 'Stay connected when you are not using the app',
  contacts: 'Read and change your contacts',
};

const STYLE = `
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f5f7; color: #1f2328; margin: 0; }
  main { max-width: 28rem; margin: 3rem auto; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 1.5rem 2rem; }
  h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
  .note { color: #57606a; font-size: .875rem; margin: 0 0 1rem; }
  ul { padding-left: 1.25rem; }
  code { background: #f6f8fa; padding: 0 .25rem; border-radius: 4px; }
  label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
  input[type=text] { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; border: 1px solid #d0d7de; border-radius: 6px; }
  .buttons { display: flex; gap: .75rem; margin-top: 1.25rem; }
  button { font: inherit; padding: .5rem 1.25rem; border-radius: 6px; border: 1px solid #d0d7de; background: #f6f8fa; cursor: pointer; }
  button[value=approve] { background: #1f883d; border-color: #1f883d; color: #fff; }
  .error { color: #cf222e; }
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export interface ConsentPageInput {
  /** Where the form posts back to (the interaction URL). */
  action: string;
  clientId: string;
  clientName: string | undefined;
  scopes: string[];
  login: string;
}

export function renderConsentPage(input: ConsentPageInput): string {
  const app = input.clientName ?? input.clientId;
  const scopes = input.scopes.length
    ? input.scopes
        .map((scope) => {
          const description = SCOPE_DESCRIPTIONS[scope];
          return `<li><code>${escapeHtml(scope)}</code>${description ? ` — ${escapeHtml(description)}` : ''}</li>`;
        })
        .join('\n')
    : '<li>No scopes requested</li>';

  return layout(
    `Sandbox: connect ${app}`,
    `<h1>Connect to the Switchboard sandbox</h1>
<p class="note">This is a practice provider. There is no password: any login name is a separate sandbox account.</p>
<p><strong>${escapeHtml(app)}</strong> (<code>${escapeHtml(input.clientId)}</code>) asks to:</p>
<ul>
${scopes}
</ul>
<form method="post" action="${escapeHtml(input.action)}">
<label for="login">Sandbox login</label>
<input type="text" id="login" name="login" value="${escapeHtml(input.login)}" maxlength="100" autocomplete="off" required>
<div class="buttons">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`,
  );
}

export function renderErrorPage(error: { error: string; error_description?: string | undefined }): string {
  return layout(
    'Sandbox error',
    `<h1>Sandbox error</h1>
<p class="error"><code>${escapeHtml(error.error)}</code></p>
${error.error_description ? `<p>${escapeHtml(error.error_description)}</p>` : ''}`,
  );
}
