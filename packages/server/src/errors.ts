import { ERROR_CODES, type ErrorStatus, type HttpErrorCode } from '@switchboard/wire';

export { ERROR_CODES, type ErrorCode, type ErrorStatus, type HttpErrorCode } from '@switchboard/wire';

/** Codes the table gives exactly one status: their errors need no status from the caller. */
export type OneStatusCode = { [C in HttpErrorCode]: (typeof ERROR_CODES)[C]['status'] extends number ? C : never }[HttpErrorCode];
/** Codes answered with more than one status (the table says which, and where): the caller picks one of them. */
export type ManyStatusCode = { [C in HttpErrorCode]: (typeof ERROR_CODES)[C]['status'] extends readonly number[] ? C : never }[HttpErrorCode];
/** The codes answered with this status. */
export type CodeWithStatus<S extends number> = { [C in OneStatusCode]: (typeof ERROR_CODES)[C]['status'] extends S ? C : never }[OneStatusCode];

export interface ApiErrorOptions {
  /** What led to the error, for the log (the error handler logs it); the client never sees it. */
  cause?: unknown;
  /** Response headers that go with the error, e.g. `Retry-After`. */
  headers?: Record<string, string>;
}

/**
 * The one error shape Switchboard answers with: `{ message, code }` and the HTTP status ERROR_CODES gives the code.
 * Anything thrown that is not an ApiError becomes a 500 with a generic message; its details go to the log, never to
 * the client. Build one with apiError() (or apiErrorWithStatus() for a code with several statuses).
 */
export class ApiError extends Error {
  readonly statusCode: ErrorStatus;
  /** Response headers that go with the error, e.g. `Retry-After`. */
  readonly headers: Record<string, string>;

  constructor(
    readonly code: HttpErrorCode,
    message: string,
    /** Extra fields for the client, e.g. `{ field: 'payload.apiKey' }`. Never secrets. */
    readonly details: Record<string, unknown> = {},
    options: ApiErrorOptions & { status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.statusCode = statusOf(code, options.status);
    this.headers = options.headers ?? {};
  }
}

/** The table's status for a code; for a code with several, the one asked for when it is one of them. */
function statusOf(code: HttpErrorCode, wanted: number | undefined): number {
  const status: number | readonly number[] | '4xx' = ERROR_CODES[code].status;
  if (typeof status === 'number') return status;
  if (status === '4xx') return wanted !== undefined && wanted >= 400 && wanted < 500 ? wanted : 400;
  return wanted !== undefined && status.includes(wanted) ? wanted : status[0]!;
}

/** An error whose status is the table's, e.g. `apiError('INTEGRATION_NOT_FOUND', 'No such integration')`. */
export const apiError = (code: OneStatusCode, message: string, details?: Record<string, unknown>, options?: ApiErrorOptions) =>
  new ApiError(code, message, details, options);

/** An error of a code the table answers with several statuses, at one of them. */
export const apiErrorWithStatus = <C extends ManyStatusCode>(
  code: C,
  status: ErrorStatus<C>,
  message: string,
  details?: Record<string, unknown>,
  options?: ApiErrorOptions,
) => new ApiError(code, message, details, { ...options, status });

/** 429 with `Retry-After` (whole seconds, at least 1). */
export const tooManyRequests = (code: CodeWithStatus<429>, message: string, retryAfterSeconds: number) =>
  new ApiError(code, message, {}, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) } });
