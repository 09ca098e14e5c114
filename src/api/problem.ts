/**
 * RFC 9457 problem details. Every error the API returns is `application/problem+json` with a
 * stable machine-readable `code`; clients branch on `code`, people read `title` and `detail`.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One invalid input field, named by its dotted path (`legs.0.quantity`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** What a handler states about a problem; `sendProblem` adds `type`, `instance`, `request_id`. */
export interface ProblemInit {
  readonly title: string;
  readonly status: number;
  /** Stable, machine-readable, snake_case: clients branch on it. */
  readonly code: string;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export interface Problem extends ProblemInit {
  readonly type: string;
  readonly instance: string;
  readonly request_id?: string;
}

/**
 * An error a route handler throws to answer with a problem document, e.g.
 * `throw new ApiError(404, 'account_not_found', 'Account not found', { detail })`.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly options: {
      readonly detail?: string;
      readonly errors?: readonly FieldError[];
      /** Extra members copied into the problem document. */
      readonly extensions?: Readonly<Record<string, unknown>>;
      /** Extra response headers (e.g. `Retry-After`). */
      readonly headers?: Readonly<Record<string, string>>;
    } = {},
  ) {
    super(options.detail ?? title);
  }
}

/** Converts zod issues to field errors, so validation failures name the field. */
export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

/** Writes a problem document with the request id and instance filled in. */
export function sendProblem(res: Response, problem: ProblemInit): void {
  const requestId = res.locals.requestId as unknown;
  const body: Problem = {
    type: 'about:blank',
    ...problem,
    instance: res.req.originalUrl,
    ...(typeof requestId === 'string' ? { request_id: requestId } : {}),
  };
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).json(body);
}

/** Answers unmatched routes with a 404 problem. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, {
    status: 404,
    code: 'not_found',
    title: 'Not Found',
    detail: `No route for ${req.method} ${req.path}`,
  });
};

/** Shape of the errors body-parser raises (`entity.too.large`, `entity.parse.failed`, …). */
interface HttpError {
  readonly status: number;
  readonly type?: string;
  readonly expose?: boolean;
  readonly message: string;
}

function isHttpError(error: unknown): error is HttpError {
  if (typeof error !== 'object' || error === null) return false;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 600;
}

const BODY_PARSER_CODES: Readonly<Record<string, string>> = {
  'entity.parse.failed': 'malformed_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_encoding',
  'charset.unsupported': 'unsupported_charset',
  'request.aborted': 'request_aborted',
};

/**
 * The last middleware: maps `ApiError`, `ZodError` and body-parser errors to their problem
 * documents and anything else to a 500 `internal_error` that is logged and never leaks details.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.options.headers ?? {})) {
        res.setHeader(name, value);
      }
      sendProblem(res, {
        ...error.options.extensions,
        status: error.status,
        code: error.code,
        title: error.title,
        ...(error.options.detail === undefined ? {} : { detail: error.options.detail }),
        ...(error.options.errors === undefined ? {} : { errors: error.options.errors }),
      });
      return;
    }
    if (error instanceof ZodError) {
      sendProblem(res, {
        status: 422,
        code: 'validation_failed',
        title: 'Validation Failed',
        detail: 'The request has invalid fields',
        errors: fieldErrors(error),
      });
      return;
    }
    if (isHttpError(error) && error.status < 500) {
      const code = (error.type && BODY_PARSER_CODES[error.type]) ?? 'bad_request';
      sendProblem(res, {
        status: error.status,
        code,
        title: code === 'payload_too_large' ? 'Payload Too Large' : 'Bad Request',
        ...(error.expose === false ? {} : { detail: error.message }),
      });
      return;
    }
    logger.error({ err: error, requestId: res.locals.requestId as unknown }, 'unhandled error');
    sendProblem(res, {
      status: 500,
      code: 'internal_error',
      title: 'Internal Server Error',
      detail: 'An unexpected error occurred; quote the request id when reporting it',
    });
  };
}
