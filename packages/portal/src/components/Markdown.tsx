import { useEffect, useLayoutEffect, useRef, useState } from 'react';

/**
 * An integration's overview (markdown), rendered by this portal's own server (GET /portal/overview, micromark:
 * raw HTML escaped, unsafe link protocols dropped), so neither a markdown parser in the bundle nor HTML from the
 * parent page. Links open in a new tab without access to this window.
 */
export function Overview({ projectId, integrationId }: { projectId: string; integrationId: string }) {
  const [html, setHtml] = useState<string>();
  const [failed, setFailed] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let live = true;
    setFailed(false);
    const query = new URLSearchParams({ projectId, integrationId });
    fetch(`/portal/overview?${query}`, { headers: { accept: 'application/json' } })
      .then(async (response) => {
        if (!response.ok) throw new Error(String(response.status));
        const body = (await response.json()) as { html?: unknown };
        if (live) setHtml(typeof body.html === 'string' ? body.html : '');
      })
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [projectId, integrationId]);
  useLayoutEffect(() => {
    for (const link of ref.current?.querySelectorAll('a') ?? []) {
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
    }
  }, [html]);
  if (failed) return <p className="help">The overview could not be loaded. Close the portal and open it again to retry.</p>;
  if (!html) return null;
  return <div className="markdown" ref={ref} dangerouslySetInnerHTML={{ __html: html }} />;
}
