/**
 * Request validation. JSON bodies are checked strictly: a number is never taken for a string
 * or the other way round. Query strings and path parameters are text by nature, so there
 * numbers and booleans are read from their text (`?limit=20`).
 */
import { Ajv, type AnySchema } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false } as const;
const strict = new Ajv({ ...options, coerceTypes: false });
const fromText = new Ajv({ ...options, coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<AnySchema> = ({ schema, httpPart }) =>
  (httpPart === 'querystring' || httpPart === 'params' ? fromText : strict).compile(schema);
