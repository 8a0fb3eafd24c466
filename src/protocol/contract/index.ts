/**
 * The wire contract of the HTTP API, written once: every route's request and answer as a
 * TypeBox schema and, under the same name, its TypeScript type. The server validates and
 * serialises with the schemas, the OpenAPI document is generated from the operations, and
 * the client's method types are the schemas' types.
 */
import * as annualReport from './annual-report.js';
import * as cases from './cases.js';
import * as files from './files.js';
import * as health from './health.js';
import * as mailbox from './mailbox.js';
import * as notifications from './notifications.js';
import * as operator from './operator.js';
import type { Operation } from './operation.js';
import * as relays from './relays.js';
import * as reporter from './reporter.js';
import * as staff from './staff.js';

export * from './primitives.js';
export * from './reporter.js';
export * from './mailbox.js';
export * from './staff.js';
export * from './cases.js';
export * from './files.js';
export * from './annual-report.js';
export * from './registration-record.js';
export * from './relays.js';
export * from './notifications.js';
export * from './operator.js';
export * from './health.js';
export type { AnswerOf, Auth, Operation, RequestOf, Tag } from './operation.js';

const isOperation = (value: unknown): value is Operation =>
  typeof value === 'object' && value !== null && 'operationId' in value && 'url' in value && 'method' in value;

/** Every operation of the API, by operationId. */
export const operations: Readonly<Record<string, Operation>> = Object.fromEntries(
  [reporter, mailbox, files, staff, notifications, cases, annualReport, relays, operator, health].flatMap((module) => Object.values(module).filter(isOperation).map((op) => [op.operationId, op])),
);

/** The tags of the OpenAPI document, in order, with what they hold. */
export const tags = [
  { name: 'reporter', description: 'The reporter without an account: channel, proof of work, submission.' },
  { name: 'mailbox', description: "The reporter's mailbox, opened with the code." },
  { name: 'staff', description: 'Staff accounts: invites, login, second factor, passphrase, recovery.' },
  { name: 'cases', description: "The adviser's cases." },
  { name: 'files', description: 'Evidence file bodies: tus uploads (HEAD, PATCH, DELETE) and streamed downloads, by the reporter and the adviser.' },
  { name: 'relays', description: 'Anonymised relays between adviser and organisation.' },
  { name: 'operator', description: "The operator's console: organisations, channels, invites and accounts; never a case." },
  { name: 'operations', description: 'Probes for an orchestrator.' },
] as const;
