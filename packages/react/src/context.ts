import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { SwitchboardSDK } from '@switchboard/sdk';

const SwitchboardContext = createContext<SwitchboardSDK | undefined>(undefined);

export interface SwitchboardProviderProps {
  /**
   * The SDK instance the hooks below read: the ESM build's `switchboard` (or one from `createSwitchboard()`), or
   * `window.switchboard` from the script-tag build.
   */
  sdk: SwitchboardSDK;
  children?: ReactNode;
}

/** Makes `sdk` the instance every Switchboard hook in `children` uses. */
export function SwitchboardProvider({ sdk, children }: SwitchboardProviderProps): ReactNode {
  return createElement(SwitchboardContext.Provider, { value: sdk }, children);
}

/**
 * The SDK instance: the nearest {@link SwitchboardProvider}'s, else `globalThis.switchboard` (what the script-tag
 * build `/switchboard.js` defines). Throws when there is neither.
 */
export function useSwitchboard(): SwitchboardSDK {
  const provided = useContext(SwitchboardContext);
  const sdk = provided ?? (globalThis as { switchboard?: SwitchboardSDK }).switchboard;
  if (!sdk) {
    throw new Error(
      'No Switchboard SDK: wrap your components in <SwitchboardProvider sdk={switchboard}> ' +
        '(import { switchboard } from "@switchboard/sdk"), or load /switchboard.js with a script tag first.',
    );
  }
  return sdk;
}
