/**
 * Errors are values with codes. Services throw AppError; the error handler in
 * plugins/errors.ts is the one place that turns any error into an HTTP answer.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 428 | 429 | 503;

export class AppError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message);
export const unauthorized = (code: string, message: string) => new AppError(401, code, message);
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const tooLarge = (code: string, message: string) => new AppError(413, code, message);
export const powRequired = (code: string, message: string) => new AppError(428, code, message);
export const slowDown = (code: string, message: string) => new AppError(429, code, message);
