/**
 * Read-your-writes over HTTP. A write answers `X-Event-Position: <n>`, the global position of
 * the last event it appended. A read that sends `X-Min-Position: <n>` is held until the read
 * models have applied position n — at most `READ_WAIT_MS` — and answers 503 `projection_lag`
 * with `Retry-After` when they have not.
 */
import type { RequestHandler, Response } from 'express';
import { ApiError } from '../problem.ts';
import { EVENT_POSITION_HEADER, MIN_POSITION_HEADER } from '../openapi.ts';

/** Waits until the read models reach a position; rejects (any error) when they do not in time. */
export interface PositionWaiter {
  waitForPosition(position: number, timeoutMs: number): Promise<void>;
}

/** Sets `X-Event-Position` when the write appended something. */
export function setEventPosition(res: Response, position: number | undefined): void {
  if (position !== undefined) res.setHeader(EVENT_POSITION_HEADER, String(position));
}

const POSITION = /^\d{1,15}$/;

/**
 * Holds a read until the read models reached the `X-Min-Position` the client sent (when it
 * sent one). 400 `invalid_header` for a value that is not a non-negative integer.
 */
export function minPosition(waiter: PositionWaiter, timeoutMs: number): RequestHandler {
  return (req, _res, next) => {
    const header = req.get(MIN_POSITION_HEADER);
    if (header === undefined || header === '') {
      next();
      return;
    }
    if (!POSITION.test(header.trim())) {
      next(
        new ApiError(400, 'invalid_header', 'Bad Request', {
          detail: `${MIN_POSITION_HEADER} must be a non-negative integer (an X-Event-Position)`,
          errors: [{ field: MIN_POSITION_HEADER, message: 'must be a non-negative integer' }],
        }),
      );
      return;
    }
    const position = Number(header.trim());
    waiter.waitForPosition(position, timeoutMs).then(
      () => {
        next();
      },
      () => {
        const retryAfter = Math.max(1, Math.ceil(timeoutMs / 1000));
        next(
          new ApiError(503, 'projection_lag', 'Service Unavailable', {
            detail: `The read models did not reach position ${position} within ${timeoutMs} ms; retry later`,
            headers: { 'Retry-After': String(retryAfter) },
            extensions: { min_position: position },
          }),
        );
      },
    );
  };
}
