import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { LogController } from 'fastify';
import type { LogLevel } from '../config.js';
import { toMinute } from '../services/coarse-time.js';

const route = (request: FastifyRequest): string => request.routeOptions?.url ?? 'unmatched';

/** Routes a reporter calls (and requests no route matched, which may be theirs): their lines carry no duration. */
const REPORTER_ROUTES = /^\/api\/v1\/(channels|pow|mailbox)(\/|$)/;
export const isReporterRoute = (pattern: string): boolean => pattern === 'unmatched' || REPORTER_ROUTES.test(pattern);

/**
 * Fastify's request log lines, reduced to one line per request carrying the method, the
 * route pattern (never the URL: no query string, no ids), the status and, for staff routes,
 * the duration: a reporter's request timed to the millisecond would be a finer clock than
 * the line's minute.
 */
class PrivateLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const pattern = route(request);
    const base = { method: request.method, route: pattern, status: reply.statusCode };
    const line = isReporterRoute(pattern) ? base : { ...base, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request failed');
    else reply.log.info(line, 'request');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ method: request.method, route: route(request), err: error }, 'error');
  }
}

/** drizzle puts a failed query's parameters into its message: ciphertext, hashes, ids. Never log them. */
const withoutParams = (text: string | undefined): string => (text ?? '').split('\nparams:')[0] ?? '';

function serializeError(error: Error & { code?: string; cause?: unknown }) {
  const cause = error.cause as (Error & { code?: string }) | undefined;
  return {
    type: error.name,
    code: error.code ?? cause?.code,
    message: withoutParams(error.message),
    cause: cause ? withoutParams(cause.message) : undefined,
    stack: withoutParams(error.stack),
  };
}

/**
 * Every line's time, to the minute only: lines of reporter routes must not time a reporter's
 * request finely enough to match it with network logs, and one format keeps it simple.
 */
export const minuteTimestamp = (): string => `,"time":"${toMinute(new Date()).toISOString()}"`;

/**
 * Logger options that can never write a client address, header, query string or body: even
 * if code logs a request or reply object, it serialises to the method, route and status.
 */
export function loggerOptions(level: LogLevel, stream?: NodeJS.WritableStream): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  return {
    logController: new PrivateLogController(),
    logger: {
      level,
      timestamp: minuteTimestamp,
      ...(stream ? { stream } : {}),
      serializers: {
        req: (request: FastifyRequest) => ({ method: request.method, route: route(request) }),
        res: (reply: { statusCode: number }) => ({ status: reply.statusCode }),
        err: serializeError,
      },
    },
  };
}
