/**
 * The Switchboard browser SDK. `switchboard` talks by default to the origin this module was served from; call
 * `switchboard.configureGlobal({ host })` when the app bundles the SDK itself.
 */
import { httpOrigin } from './environment.js';
import { Switchboard } from './sdk.js';

export { Switchboard, type SwitchboardOptions } from './sdk.js';
export type { BrowserEnvironment, PopupWindow } from './environment.js';
export * from './errors.js';
export type * from './types.js';

/** A new, independent SDK instance (several users or servers on one page; tests). */
export const createSwitchboard = (options?: import('./sdk.js').SwitchboardOptions) => new Switchboard(options);

/** The shared instance, as the reference SDK's `paragon` export. */
export const switchboard = new Switchboard({ host: httpOrigin(import.meta.url) });
