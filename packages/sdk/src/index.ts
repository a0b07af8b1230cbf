/**
 * The Switchboard browser SDK. A bundled module cannot know which server it belongs to (its URL is the app's), so
 * call `switchboard.configureGlobal({ host })` before `authenticate`. The script-tag build served at /switchboard.js
 * talks to the server it came from by default.
 */
import { Switchboard } from './sdk.js';

export { Switchboard, type SwitchboardOptions } from './sdk.js';
export type { BrowserEnvironment, PopupWindow } from './environment.js';
export * from './errors.js';
export type * from './types.js';

/** A new, independent SDK instance (several users or servers on one page; tests). */
export const createSwitchboard = (options?: import('./sdk.js').SwitchboardOptions) => new Switchboard(options);

/** The shared instance, as the reference SDK's `paragon` export. */
export const switchboard = new Switchboard();
