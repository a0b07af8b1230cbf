import type { ErrorDescription } from '../errors.js';

export interface Banner extends ErrorDescription {
  id: number;
  /** The SDK error's name, e.g. OAuthBlockedError. */
  errorName: string;
  integrationType?: string;
  onAction?: () => void;
}

export function Banners({ banners, onDismiss }: { banners: Banner[]; onDismiss(id: number): void }) {
  if (banners.length === 0) return null;
  return (
    <div className="banners">
      {banners.map((banner) => (
        <div
          key={banner.id}
          className={`banner ${banner.errorName === 'UserNotAuthenticatedError' ? 'critical' : 'warning'}`}
          role="alert"
          data-testid="error-banner"
          data-error-name={banner.errorName}
          data-integration={banner.integrationType}
        >
          <span className="banner-icon" aria-hidden="true">
            !
          </span>
          <div className="banner-text">
            <p className="banner-title">{banner.title}</p>
            <p className="banner-message">{banner.message}</p>
          </div>
          <div className="banner-actions">
            {banner.onAction && banner.actionLabel && (
              <button type="button" className="button small" onClick={banner.onAction}>
                {banner.actionLabel}
              </button>
            )}
            <button type="button" className="icon-button" onClick={() => onDismiss(banner.id)} aria-label="Dismiss">
              ×
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
