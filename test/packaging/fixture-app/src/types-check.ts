// Type-level checks only (the page does not import this file). The app compiles with skipLibCheck, as Vite apps do:
// a declaration that fails to resolve (say, @switchboard/react's import of @switchboard/sdk) then quietly becomes a
// type that accepts anything. Each entry below fails to compile when its type accepts anything.
import type { switchboard, SwitchboardUser } from '@switchboard/sdk';
import type { SwitchboardProviderProps, useIntegrationMetadata, useSwitchboardUser } from '@switchboard/react';
import type { createManagementClient, createUserClient, signUserToken, SwitchboardApiError } from '@switchboard/node';

declare const unrelated: unique symbol;
type Resolved<T> = [typeof unrelated] extends [T] ? never : true;

export const typesAreReal: [
  Resolved<typeof switchboard>,
  Resolved<SwitchboardUser>,
  Resolved<SwitchboardProviderProps['sdk']>,
  Resolved<ReturnType<typeof useSwitchboardUser>>,
  Resolved<ReturnType<typeof useIntegrationMetadata>>,
  Resolved<Awaited<ReturnType<typeof signUserToken>>>,
  Resolved<Awaited<ReturnType<ReturnType<typeof createUserClient>['getUser']>>>,
  Resolved<ReturnType<typeof createManagementClient>>,
  Resolved<SwitchboardApiError['status']>,
] = [true, true, true, true, true, true, true, true, true];
