import type { ErrorRequestHandler } from 'express';
import { ConcurrencyConflict } from '../commands/handler.ts';
import { PolicyError } from '../commands/policy.ts';
import { AuthError } from '../commands/users.ts';
import { DomainError, type DomainErrorCode } from '../domain/errors.ts';
import { UserError } from '../domain/user/errors.ts';
import { ProjectionTimeout } from '../projections/runner.ts';
import { InvalidCursor } from '../projections/trading-views.ts';
import { policyProblem } from './authenticate.ts';
import { ApiError } from './problem.ts';

/** HTTP status of each invalid-command code of the account decider. */
const DOMAIN_STATUS: Readonly<Record<DomainErrorCode, 404 | 409 | 422>> = {
  invalid_value: 422,
  invalid_amount: 422,
  invalid_command: 422,
  invalid_replace: 422,
  insufficient_funds: 422,
  order_not_cancelable: 422,
  order_not_replaceable: 422,
  duplicate_client_order_id: 422,
  order_not_found: 404,
  account_not_open: 404,
  account_already_open: 409,
  duplicate_order_id: 409,
  order_not_fillable: 409,
  order_not_triggerable: 409,
  order_not_expirable: 409,
  water_mark_not_applicable: 409,
  quote_symbol_mismatch: 409,
  corporate_action_not_applicable: 409,
  position_not_found: 404,
  option_not_exercisable: 422,
  option_not_expired: 409,
};

const TITLES: Readonly<Record<number, string>> = {
  404: 'Not Found',
  409: 'Conflict',
  422: 'Validation Failed',
};

/** Domain field names (camelCase) → wire names (`limitPrice` → `limit_price`). */
function wireField(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The problem of an invalid command: 404 for a missing order, 422 naming the field… */
export function domainProblem(error: DomainError): ApiError {
  const status = DOMAIN_STATUS[error.code];
  const field = error.field === undefined ? undefined : wireField(error.field);
  return new ApiError(status, error.code, TITLES[status] ?? 'Error', {
    detail: error.message,
    ...(field === undefined || status === 404
      ? {}
      : { errors: [{ field, message: error.message }] }),
  });
}

/**
 * Translates command-layer errors (policy refusals, authentication failures, user and account
 * rejections, read-side errors) into `ApiError`s for the problem+json handler. Mounted before
 * `errorHandler`.
 */
export const commandErrors: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  if (error instanceof PolicyError) {
    next(policyProblem(error));
    return;
  }
  if (error instanceof DomainError) {
    next(domainProblem(error));
    return;
  }
  if (error instanceof InvalidCursor) {
    next(
      new ApiError(400, 'invalid_cursor', 'Bad Request', {
        detail: error.message,
        errors: [{ field: 'cursor', message: error.message }],
      }),
    );
    return;
  }
  if (error instanceof ProjectionTimeout) {
    next(
      new ApiError(503, 'projection_lag', 'Service Unavailable', {
        detail: error.message,
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(error.timeoutMs / 1000))) },
      }),
    );
    return;
  }
  if (error instanceof ConcurrencyConflict) {
    next(
      new ApiError(409, 'concurrency_conflict', 'Conflict', {
        detail: 'The account changed concurrently too many times; retry the request',
        headers: { 'Retry-After': '1' },
      }),
    );
    return;
  }
  if (error instanceof AuthError) {
    switch (error.code) {
      case 'login_throttled':
        next(
          new ApiError(429, error.code, 'Too Many Requests', {
            detail: error.message,
            headers: { 'Retry-After': String(error.retryAfterSeconds ?? 1) },
          }),
        );
        return;
      case 'email_taken':
        next(new ApiError(409, error.code, 'Conflict', { detail: error.message }));
        return;
      default:
        next(new ApiError(401, error.code, 'Unauthorized', { detail: error.message }));
        return;
    }
  }
  if (error instanceof UserError) {
    const status =
      error.code === 'user_not_found' || error.code === 'api_key_not_found' ? 404 : 422;
    next(
      new ApiError(status, error.code, status === 404 ? 'Not Found' : 'Validation Failed', {
        detail: error.message,
        ...(error.field === undefined
          ? {}
          : { errors: [{ field: error.field, message: error.message }] }),
      }),
    );
    return;
  }
  next(error);
};
