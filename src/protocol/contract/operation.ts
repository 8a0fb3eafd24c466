/**
 * One route of the API as data: where it lives, who may call it, what it takes and what it
 * answers. The server registers routes from these, the OpenAPI document is generated from
 * them, and the client's types are read from them.
 */
import type { Static, TSchema } from '@sinclair/typebox';

/** Who may call: anyone, a reporter with a mailbox session, or a signed-in staff member. */
export type Auth = 'none' | 'mailbox' | 'staff';

export type Tag = 'reporter' | 'mailbox' | 'staff' | 'cases' | 'files' | 'relays' | 'operator' | 'operations';

export interface Operation {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path parameters as `:name`. */
  url: string;
  /** Also the client's method name. */
  operationId: string;
  summary: string;
  description?: string;
  tag: Tag;
  auth: Auth;
  params?: TSchema;
  querystring?: TSchema;
  /** Request headers the route requires (the tus routes); others are let through. */
  headers?: TSchema;
  body?: TSchema;
  /** The success answer, by status. */
  response: Record<number, TSchema>;
  /** Statuses answered with the error body (docs/protocol.md §10 names the codes). */
  errors: readonly number[];
}

/** Keeps an operation's literal types, so routes and the client see its exact schemas. */
export const operation = <const T extends Operation>(definition: T): T => definition;

/** The decoded success answer of an operation. */
export type AnswerOf<T extends Operation> = Static<T['response'][keyof T['response'] & number]>;

/** The decoded body an operation takes. */
export type RequestOf<T extends Operation> = T['body'] extends TSchema ? Static<T['body']> : never;
