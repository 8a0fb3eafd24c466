import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { LogController } from 'fastify';
import type { LogLevel } from '../config.js';

const route = (request: FastifyRequest): string => request.routeOptions?.url ?? 'unmatched';

/**
 * Fastify's request log lines, reduced to one line per request carrying the method, the
 * route pattern (never the URL: no query string, no ids), the status and the duration.
 */
class PrivateLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, route: route(request), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
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
 * Logger options that can never write a client address, header, query string or body: even
 * if code logs a request or reply object, it serialises to the method, route and status.
 */
export function loggerOptions(level: LogLevel, stream?: NodeJS.WritableStream): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  return {
    logController: new PrivateLogController(),
    logger: {
      level,
      ...(stream ? { stream } : {}),
      serializers: {
        req: (request: FastifyRequest) => ({ method: request.method, route: route(request) }),
        res: (reply: { statusCode: number }) => ({ status: reply.statusCode }),
        err: serializeError,
      },
    },
  };
}
