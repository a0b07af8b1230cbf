import { useEffect, useRef } from 'react';
import type { Integration } from '../types.js';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * The portal's dialog: the integration's header, a close button, Escape to close, and the keyboard kept inside
 * (Tab from the last control goes back to the first). Focus moves into it when it opens.
 */
export function Dialog({ integration, onClose, children }: { integration: Integration; onClose: () => void; children: React.ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [integration.id]);
  useEffect(() => {
    // A control removed while it had the focus (the connect form, once connected) drops the focus to <body>, where
    // this dialog no longer hears Escape or Tab: take it back.
    const dialog = ref.current;
    if (!dialog) return;
    const observer = new MutationObserver(() => {
      if (document.activeElement === null || document.activeElement === document.body) dialog.focus();
    });
    observer.observe(dialog, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
      return;
    }
    if (event.key !== 'Tab' || !ref.current) return;
    const focusable = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.offsetParent !== null);
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === ref.current)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="portal-title" tabIndex={-1} ref={ref} onKeyDown={onKeyDown}>
        <header className="header">
          {integration.icon && <img className="icon" src={integration.icon} alt="" width={40} height={40} />}
          <h1 id="portal-title">{integration.name}</h1>
          <button type="button" className="close" aria-label="Close" onClick={onClose}>
            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
              <path d="M3 3l10 10M13 3L3 13" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
        </header>
        <div className="body">{children}</div>
      </div>
    </div>
  );
}
