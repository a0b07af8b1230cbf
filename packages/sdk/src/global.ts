/**
 * The script-tag build (`<script src="https://<switchboard>/switchboard.js">`): defines `window.switchboard`, talking
 * by default to the server the script came from.
 */
import { httpOrigin } from './environment.js';
import * as errors from './errors.js';
import { Switchboard } from './sdk.js';

const script = document.currentScript as HTMLScriptElement | null;
const sdk = new Switchboard({ host: httpOrigin(script?.src) ?? httpOrigin(window.location.href) });
// The error classes ride along, for `error instanceof switchboard.errors.OAuthTimeoutError`.
Object.assign(sdk, { errors });
(window as unknown as { switchboard: Switchboard }).switchboard = sdk;
