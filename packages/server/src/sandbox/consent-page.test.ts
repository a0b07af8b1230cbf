import { describe, expect, it } from 'vitest';
import { escapeHtml, renderConsentPage, renderErrorPage } from './consent-page.js';

describe('sandbox consent page', () => {
  it('escapes the client, scopes and login it echoes', () => {
    const html = renderConsentPage({
      action: '/sandbox/interaction/"x"',
      clientId: '<script>alert(1)</script>',
      clientName: 'A & B',
      scopes: ['contacts', '"><img src=x>'],
      login: `o'brien"<`,
    });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('A &amp; B');
    expect(html).toContain('value="o&#39;brien&quot;&lt;"');
    expect(html).toContain('action="/sandbox/interaction/&quot;x&quot;"');
  });

  it('escapes error pages too', () => {
    expect(renderErrorPage({ error: '<b>', error_description: '"x"' })).toContain('&lt;b&gt;');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
