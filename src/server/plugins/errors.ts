import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import { DomainError, type ErrorKind } from '../errors.js';
import { securityHeaderSet } from './security-headers.js';

interface ErrorAnswer {
  status: number;
  error: string;
  message: string;
}

/** `/report/ciphertext` → `report_ciphertext`; the code names the field that is wrong. */
function fieldName(path: string): string {
  return path
    .replace(/^\//, '')
    .replace(/\/\d+(?=\/|$)/g, '')
    .replace(/\//g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function validationAnswer(error: FastifyError): ErrorAnswer {
  const first = error.validation?.[0];
  const where = error.validationContext ?? 'body';
  if (!first) return { status: 400, error: 'invalid_request', message: error.message };
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'required' && typeof params.missingProperty === 'string') {
    const field = fieldName(`${first.instancePath}/${params.missingProperty}`);
    return { status: 400, error: `missing_${field}`, message: `The ${where} lacks the field "${field}".` };
  }
  if (first.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    // The unknown name came from the client: say where it is, never what it is.
    const parent = fieldName(first.instancePath);
    const place = parent ? `the field "${parent}" of the ${where}` : `the ${where}`;
    return { status: 400, error: 'unknown_field', message: `There is a field in ${place} that is not part of the protocol.` };
  }
  const field = fieldName(first.instancePath);
  if (!field) return { status: 400, error: `invalid_${where}`, message: `The ${where} ${first.message ?? 'is invalid'}.` };
  return { status: 400, error: `invalid_${field}`, message: `The ${where} field "${field}" ${first.message ?? 'is invalid'}.` };
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300']);
// node-postgres: "Client has encountered a connection error and is not queryable" (a query on a
// client whose connection died, inside a transaction say) and "Client was closed and is not queryable".
const CONNECTION_MESSAGES = /Connection terminated|connection is closed|is not queryable|PGlite is closed|Cannot use a pool after calling end/i;

/**
 * Connection failures of node-postgres and PGlite: the database is unavailable, not the request
 * wrong. drizzle wraps the driver's error in `cause`, so the whole chain is searched; the bound
 * stops a chain that loops.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    // SQLSTATE class 08 is "connection exception".
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (CONNECTION_MESSAGES.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/** The HTTP status of each kind of domain error: the only place a service's failure meets HTTP. */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  work_required: 428,
  throttled: 429,
  unavailable: 503,
};

function answerFor(error: FastifyError | DomainError | Error): ErrorAnswer {
  if (error instanceof DomainError) return { status: STATUS_OF_KIND[error.kind], error: error.code, message: error.message };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return validationAnswer(fastifyError);
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: 'invalid_json', message: 'The body is not valid JSON.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, error: 'unsupported_media_type', message: 'This route does not accept that content type.' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, error: 'too_large', message: 'The body is larger than this server accepts.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, error: 'invalid_content_length', message: 'The Content-Length does not match the body.' };
    // Router and connection errors: their messages quote the URL, so only the code is used.
    case 'FST_ERR_BAD_URL':
      return { status: 400, error: 'invalid_url', message: 'The address is not valid.' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 414, error: 'uri_too_long', message: 'The address is longer than this server accepts.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, error: 'request_timeout', message: 'The request took too long to arrive.' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, error: 'headers_too_large', message: 'The address or headers are larger than this server accepts.' };
  }
  if (fastifyError.code?.startsWith('HPE_')) return { status: 400, error: 'bad_request', message: 'The request is not valid HTTP.' };
  // Node's error when the client closes the connection before the body has arrived (after a
  // request timeout, say). Its code is ECONNRESET, like a lost database connection's, so it is
  // told apart first: the client left, the server and its database are fine.
  if (fastifyError.code === 'ECONNRESET' && error.message === 'aborted') {
    return { status: 400, error: 'request_aborted', message: 'The request ended before its body did.' };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, error: 'database_unavailable', message: 'The database is unavailable; try again shortly.' };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, error: 'bad_request', message: 'The request could not be understood.' };
  }
  return { status: 500, error: 'internal_error', message: 'Something went wrong on the server.' };
}

const bodyOf = (answer: ErrorAnswer) => JSON.stringify({ error: answer.error, message: answer.message });

/** The one place that maps errors to HTTP: `{ error, message }`, never an echo of the request. */
export async function errorHandling(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const answer = answerFor(error);
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(answer.status).send({ error: answer.error, message: answer.message });
  });
}

/**
 * Fastify's `frameworkErrors`: a bad `%` escape or an overlong path parameter is refused by
 * the router before any hook runs, so the security headers are set here, and nothing of the
 * error (whose message quotes the URL) is sent or logged.
 */
export function routerErrors(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  const answer = answerFor(error);
  void reply.status(answer.status).headers(securityHeaderSet).type('application/json; charset=utf-8').send(bodyOf(answer));
}

/**
 * Fastify's `clientErrorHandler`, for errors before a request exists (a request or header
 * timeout, headers too large, broken HTTP): the same answer shape and headers, written on the
 * socket, which is then closed. The error, which may hold the raw request, is not logged.
 */
export const clientErrors: NonNullable<FastifyServerOptions['clientErrorHandler']> = (error, socket: Socket) => {
  if ((error as { code?: string }).code === 'ECONNRESET' || socket.destroyed) return;
  // Node keeps the answer in progress on the socket: once its head is out, no second answer fits.
  const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inProgress?.headersSent) {
    const answer = answerFor(error);
    const body = bodyOf(answer);
    const headers = {
      ...securityHeaderSet,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    };
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    // An answer to HEAD has no body: a client reading one would take it for the next answer.
    // Node's types say { type, data }; at run time rawPacket is the Buffer of what was read.
    const packet: unknown = (error as unknown as { rawPacket?: unknown }).rawPacket;
    const toHead = Buffer.isBuffer(packet) && packet.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.write(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n${head}\r\n${toHead ? '' : body}`);
  }
  socket.destroy();
};
