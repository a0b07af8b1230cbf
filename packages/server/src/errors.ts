/**
 * The one error shape Switchboard answers with: `{ message, code }` and an HTTP status. Anything thrown that is
 * not an ApiError becomes a 500 with a generic message; its details go to the log, never to the client.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra fields for the client, e.g. `{ field: 'payload.apiKey' }`. Never secrets. */
    readonly details: Record<string, unknown> = {},
    /** Response headers that go with the error, e.g. `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new ApiError(400, code, message, details);
export const unauthorized = (code: string, message: string) => new ApiError(401, code, message);
export const forbidden = (code: string, message: string) => new ApiError(403, code, message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);
/** 429 with `Retry-After` (whole seconds, at least 1). */
export const tooManyRequests = (code: string, message: string, retryAfterSeconds: number) =>
  new ApiError(429, code, message, {}, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
