import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Runs `handlers` in order as one middleware, with express's own rules for each: a handler
 * continues with `next()`, stops the chain with `next(error)` (passed on to the router, as are
 * `'route'` and `'router'`), and a thrown error or a rejected promise counts as `next(error)`.
 *
 * One router layer instead of many: express matches every layer of a stack against the path
 * and allocates for each one it enters, which the global middlewares and the authentication
 * chain would otherwise pay on every request.
 */
export function series(handlers: readonly RequestHandler[]): RequestHandler {
  const [only] = handlers;
  if (handlers.length === 1 && only !== undefined) return only;
  return (req: Request, res: Response, next: NextFunction): void => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error) {
        next(error);
        return;
      }
      const handler = handlers[index++];
      if (handler === undefined) {
        next();
        return;
      }
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) {
          result.catch((rejection: unknown) => {
            next(rejection ? rejection : new Error('Rejected promise'));
          });
        }
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
