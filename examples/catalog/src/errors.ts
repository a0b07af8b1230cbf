/** How an SDK error reads in a banner. Errors are told apart by `name`, which both SDK builds keep stable. */
export interface ErrorDescription {
  title: string;
  message: string;
  /** What the banner's button does, if it has one. */
  action?: 'connect-again' | 'reload';
  actionLabel?: string;
}

export interface ErrorLike {
  name: string;
  message: string;
  code?: string;
  status?: number;
  field?: string;
}

export function asError(error: unknown): ErrorLike {
  if (error instanceof Error) return error as ErrorLike;
  return { name: 'Error', message: typeof error === 'string' ? error : 'Unknown error' };
}

export function describeError(error: ErrorLike, integrationName: string | undefined): ErrorDescription {
  const what = integrationName ?? 'the integration';
  switch (error.name) {
    case 'OAuthBlockedError':
      return {
        title: 'The sign-in window was blocked',
        message: `Your browser blocked the window to sign in to ${what}. Click Connect again to open it.`,
        action: 'connect-again',
        actionLabel: 'Connect again',
      };
    case 'OAuthTimeoutError':
      return {
        title: 'Sign-in not finished',
        message: `The window to sign in to ${what} was closed before the connection finished. Nothing was connected.`,
        action: 'connect-again',
        actionLabel: 'Try again',
      };
    case 'UserNotAuthenticatedError':
      return {
        title: 'Your session has expired',
        message: 'Reload the page to sign in again.',
        action: 'reload',
        actionLabel: 'Reload',
      };
    case 'IntegrationAlreadyInstalledError':
      return {
        title: `${integrationName ?? 'This integration'} is already connected`,
        message: 'Open its details and use “Connect another account” to add one more.',
      };
    case 'IntegrationNotInstalledError':
      return { title: `${integrationName ?? 'This integration'} is not connected`, message: error.message };
    case 'IntegrationNotFoundError':
      return { title: 'Integration unavailable', message: error.message };
    case 'RequestError':
      return { title: `${integrationName ?? 'The provider'} answered HTTP ${error.status ?? '?'}`, message: error.message };
    default:
      return { title: 'Something went wrong', message: error.message || error.name };
  }
}
