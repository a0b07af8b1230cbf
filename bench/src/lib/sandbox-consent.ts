/**
 * Drives an OAuth popup through the sandbox provider like a browser (the same steps as the server's test helpers
 * in packages/server/test/support/, which the bench cannot import: they are test code). Posts the flow's state to
 * Switchboard's popup URL from the app's origin, follows the redirects with a cookie jar, approves the consent
 * form, and loads the callback page with the browser's cookies. Returns the callback page's status.
 */
const MAX_HOPS = 20;

export async function connectThroughPopup(
  flow: { popupUrl: string; state: string; origin: string; redirectUri: string },
  login = 'bench-user',
): Promise<number> {
  const redirectUri = flow.redirectUri;
  const cookies = new Map<string, string>();
  let next: { url: URL; init: RequestInit } = {
    url: new URL(flow.popupUrl),
    init: { method: 'POST', body: new URLSearchParams({ state: flow.state }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: flow.origin } },
  };
  let submitted = false;

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const { url, init } = next;
    const headers = new Headers(init.headers);
    headers.set('accept', 'text/html');
    // One host, and the sandbox's cookies are scoped to it: send every cookie we hold.
    if (cookies.size > 0) headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const target = new URL(location, url);
      next = { url: target, init: { method: 'GET' } };
      if (target.href.startsWith(redirectUri)) {
        const callback = await fetch(target, { headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } });
        await callback.body?.cancel();
        return callback.status;
      }
      continue;
    }

    const html = await response.text();
    const action = response.status === 200 && !submitted ? /<form[^>]*\baction="([^"]*)"/i.exec(html)?.[1] : undefined;
    if (action === undefined) throw new Error(`sandbox consent: ${init.method} ${url.href} answered ${response.status}: ${html.slice(0, 500)}`);
    next = {
      url: new URL(action.replace(/&amp;/g, '&'), url),
      init: { method: 'POST', body: new URLSearchParams({ login, decision: 'approve' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    };
    submitted = true;
  }
  throw new Error(`sandbox consent: more than ${MAX_HOPS} redirects from ${flow.popupUrl}`);
}
