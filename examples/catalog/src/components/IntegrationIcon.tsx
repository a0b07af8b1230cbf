import type { CSSProperties } from 'react';
import type { IntegrationMetadata } from '@switchboard/sdk';

/** The integration's icon on a tile tinted with its brand colour. */
export function IntegrationIcon({ metadata, size = 'medium' }: { metadata: IntegrationMetadata; size?: 'medium' | 'large' }) {
  return (
    <span className={`icon-tile ${size}`} style={{ '--brand': metadata.brandColor } as CSSProperties} aria-hidden="true">
      <img src={metadata.icon} alt="" loading="lazy" />
    </span>
  );
}
