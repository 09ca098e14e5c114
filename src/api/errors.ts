import type { ErrorRequestHandler } from 'express';
import { PolicyError } from '../commands/policy.ts';
import { AuthError } from '../commands/users.ts';
import { UserError } from '../domain/user/errors.ts';
import { policyProblem } from './authenticate.ts';
import { ApiError } from './problem.ts';

/**
 * Translates command-layer errors (policy refusals, authentication failures, user rejections)
 * into `ApiError`s for the problem+json handler. Mounted before `errorHandler`.
 */
export const commandErrors: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  if (error instanceof PolicyError) {
    next(policyProblem(error));
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
