/**
 * React hooks over the Switchboard browser SDK. They never import the SDK itself: the instance comes from
 * {@link SwitchboardProvider} or from `window.switchboard`, so the ESM build and the script-tag build both work.
 */
export { SwitchboardProvider, useSwitchboard, type SwitchboardProviderProps } from './context.js';
export { useIntegrationMetadata, useSwitchboardUser } from './hooks.js';
