/** Probes for an orchestrator: the process is up; the database answers, can write and has disk. */
import { Type } from '@sinclair/typebox';
import { operation } from './operation.js';
import { Strict } from './primitives.js';

const Status = Strict({ status: Type.String() });

export const healthz = operation({
  method: 'GET',
  url: '/healthz',
  operationId: 'healthz',
  summary: 'Liveness: the process is up',
  tag: 'operations',
  auth: 'none',
  response: { 200: Status },
  errors: [503],
});

export const readyz = operation({
  method: 'GET',
  url: '/readyz',
  operationId: 'readyz',
  summary: 'Readiness: the database answers and can write, and there is disk to write on',
  tag: 'operations',
  auth: 'none',
  response: { 200: Status },
  errors: [503],
});
