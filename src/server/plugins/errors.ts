import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

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

/** Connection failures of node-postgres and PGlite: the database is unavailable, not the request wrong. */
function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03', '53300'].includes(code)) ||
    /Connection terminated|connection is closed|PGlite is closed/i.test((error as Error).message ?? '')
  );
}

function answerFor(error: FastifyError | AppError | Error): ErrorAnswer {
  if (error instanceof AppError) return { status: error.status, error: error.code, message: error.message };
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

/** The one place that maps errors to HTTP: `{ error, message }`, never an echo of the request. */
export async function errorHandling(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const answer = answerFor(error);
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(answer.status).send({ error: answer.error, message: answer.message });
  });
}
