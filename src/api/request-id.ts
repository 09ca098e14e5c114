import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A caller's id is kept when it is short and plain, so it can be logged and echoed safely. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id: the caller's `X-Request-Id` when acceptable, else a fresh UUID.
 * The id is echoed in the response header, stored in `res.locals.requestId`, and quoted in
 * problem documents and logs.
 */
export function requestId(newId: () => string = randomUUID): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const id = incoming !== undefined && ACCEPTABLE_ID.test(incoming) ? incoming : newId();
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
