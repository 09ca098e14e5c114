/**
 * Errors of the Alpaca-compatible API: `{ "code": <number>, "message": "<text>" }` with the
 * HTTP status Alpaca uses (401 unauthenticated, 403 forbidden and insufficient buying power or
 * quantity, 404 not found, 422 invalid input), because the SDKs turn exactly those into their
 * typed errors (`AuthError`, `PermissionError`, `NotFoundError`, `ValidationError`). Beside
 * Alpaca's two fields every error carries `reason`, our stable snake_case code (the `/api/v1`
 * problem `code`), and field errors and ids where there are some.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { commandErrors } from '../errors.ts';
import { ApiError, fieldErrors, type FieldError } from '../problem.ts';

type Json = Record<string, unknown>;

/** Alpaca's numeric error codes by HTTP status (the status followed by `10000`, as Alpaca does). */
const CODES: Readonly<Record<number, number>> = {
  400: 40010000,
  401: 40110000,
  403: 40310000,
  404: 40410000,
  409: 40910000,
  413: 41310000,
  422: 42210000,
  429: 42910000,
  500: 50010000,
  503: 50310000,
};

/** The numeric code Alpaca writes for an HTTP status. */
export function alpacaCode(status: number): number {
  return CODES[status] ?? status * 100_000;
}

/** An error answered in Alpaca's format. */
export class AlpacaError extends Error {
  override readonly name = 'AlpacaError';
  constructor(
    readonly status: number,
    /** Our stable code (`insufficient_buying_power`, `order_not_found`…), sent as `reason`. */
    readonly reason: string,
    message: string,
    readonly extra: Readonly<Json> = {},
    readonly headers: Readonly<Record<string, string>> = {},
    /** Alpaca's code when it is not the status's default (`40010001`). */
    readonly code: number = alpacaCode(status),
  ) {
    super(message);
  }
}

function describe(errors: readonly FieldError[] | undefined, fallback: string): string {
  if (errors === undefined || errors.length === 0) return fallback;
  return errors.map((e) => `${e.field} ${e.message}`).join('; ');
}

/** Shape of the errors body-parser raises (malformed JSON, too large…). */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** The `AlpacaError` of anything a `/v2` handler (or the middleware before it) threw. */
export function toAlpacaError(error: unknown, req: Request, res: Response): AlpacaError {
  if (error instanceof AlpacaError) return error;
  // Command-layer errors (policy, domain, read side) become the `/api/v1` problems first.
  let translated: unknown = error;
  commandErrors(error, req, res, (e?: unknown) => {
    translated = e;
  });
  if (translated instanceof ApiError) {
    const { status, code, options } = translated;
    return new AlpacaError(
      status,
      code,
      describe(options.errors, options.detail ?? translated.title),
      {
        ...options.extensions,
        ...(options.errors === undefined ? {} : { errors: options.errors }),
      },
      options.headers ?? {},
    );
  }
  if (translated instanceof ZodError) {
    const errors = fieldErrors(translated);
    return new AlpacaError(422, 'validation_failed', describe(errors, 'invalid request'), {
      errors,
    });
  }
  const status = httpStatusOf(translated);
  if (status !== undefined) {
    const malformed = (translated as { type?: unknown }).type === 'entity.parse.failed';
    return new AlpacaError(
      status,
      malformed ? 'malformed_json' : 'bad_request',
      malformed ? 'invalid syntax: the body is not valid JSON' : (translated as Error).message,
      {},
      {},
      malformed ? 40010001 : alpacaCode(status),
    );
  }
  return new AlpacaError(500, 'internal_error', 'internal server error');
}

/** Writes an error in Alpaca's format. */
export function sendAlpacaError(res: Response, error: AlpacaError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  const requestId = res.locals.requestId as unknown;
  res.status(error.status).json({
    code: error.code,
    message: error.message,
    reason: error.reason,
    ...error.extra,
    ...(typeof requestId === 'string' ? { request_id: requestId } : {}),
  });
}

/** The last middleware of `/v2`: every error in Alpaca's format; 500s are logged, never detailed. */
export function alpacaErrorHandler(logger: Logger | undefined): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const answer = toAlpacaError(error, req, res);
    if (answer.status >= 500 && answer.reason === 'internal_error') {
      logger?.error({ err: error, requestId: res.locals.requestId as unknown }, 'unhandled error');
    }
    sendAlpacaError(res, answer);
  };
}

/** A `/v2` path that is not a route. */
export const alpacaNotFound: RequestHandler = (req, _res, next) => {
  next(
    new AlpacaError(
      404,
      'not_found',
      `endpoint not found: ${req.method} ${req.originalUrl.split('?')[0] ?? ''}`,
    ),
  );
};
