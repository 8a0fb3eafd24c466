/** JSON schemas of the adviser's case routes (protocol-v1 §6 staff side). */
import { base64url, base64urlOf, caseMessages, nullableCaseCommitment, envelope, isoTime, nullableTime, opaqueId, postedAnswer, wireEnvelope } from './common.js';

const statuses = ['received', 'acknowledged', 'in_progress', 'closed'] as const;

export const caseParams = {
  type: 'object',
  properties: { caseId: base64urlOf(16) },
  required: ['caseId'],
} as const;

export const caseListQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: statuses },
    channel: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' },
    before: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'The `next` cursor of the previous page.' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
  additionalProperties: false,
} as const;

const summaryProperties = {
  caseId: { type: 'string' },
  channel: { type: 'string' },
  status: { type: 'string', enum: statuses },
  receivedAt: isoTime,
  acknowledgedAt: nullableTime,
  acknowledgeBy: isoTime,
  feedbackBy: isoTime,
  overdue: { type: 'boolean' },
  wrap: base64url,
} as const;

export const caseList = {
  type: 'object',
  properties: {
    cases: {
      type: 'array',
      items: {
        type: 'object',
        properties: { ...summaryProperties, unread: { type: 'boolean' } },
        required: [...Object.keys(summaryProperties), 'unread'],
        additionalProperties: false,
      },
    },
    next: { type: ['string', 'null'], description: 'Pass as `before` for the next page; null on the last.' },
  },
  required: ['cases', 'next'],
  additionalProperties: false,
} as const;

export const caseDetail = {
  type: 'object',
  properties: {
    ...summaryProperties,
    reporterWrap: base64url,
    reporterSignPublicKey: base64url,
    commitment: nullableCaseCommitment,
    pin: { type: ['string', 'null'], description: "Extension: this adviser's signed pin of the case key." },
    report: wireEnvelope,
    messages: caseMessages,
    relays: {
      type: 'array',
      items: {
        type: 'object',
        properties: { relayId: { type: 'string' }, state: { type: 'string' }, createdAt: isoTime, sentAt: nullableTime, copy: wireEnvelope },
        required: ['relayId', 'state', 'createdAt', 'sentAt', 'copy'],
        additionalProperties: false,
      },
    },
    files: {
      type: 'array',
      items: {
        type: 'object',
        properties: { fileId: { type: 'string' }, header: wireEnvelope, bytes: { type: 'integer' } },
        required: ['fileId', 'header', 'bytes'],
        additionalProperties: false,
      },
    },
    registration: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: { nonce: base64url, ciphertext: base64url, updatedAt: isoTime },
          required: ['nonce', 'ciphertext', 'updatedAt'],
          additionalProperties: false,
        },
      ],
    },
  },
  required: [...Object.keys(summaryProperties), 'reporterWrap', 'reporterSignPublicKey', 'commitment', 'pin', 'report', 'messages', 'relays', 'files', 'registration'],
  additionalProperties: false,
} as const;

export const caseMessageBody = envelope;

export const caseMessageAnswer = postedAnswer;

export const statusBody = {
  type: 'object',
  properties: { status: { type: 'string', enum: statuses } },
  required: ['status'],
  additionalProperties: false,
} as const;

export const statusAnswer = {
  type: 'object',
  properties: { status: { type: 'string' }, acknowledgedAt: nullableTime, acknowledgeBy: isoTime, feedbackBy: isoTime, overdue: { type: 'boolean' } },
  required: ['status', 'acknowledgedAt', 'acknowledgeBy', 'feedbackBy', 'overdue'],
  additionalProperties: false,
} as const;

export const registrationBody = envelope;

export const registrationAnswer = {
  type: 'object',
  properties: { updatedAt: isoTime },
  required: ['updatedAt'],
  additionalProperties: false,
} as const;

export const grantBody = {
  type: 'object',
  properties: { keyId: opaqueId, wrap: base64urlOf(80) },
  required: ['keyId', 'wrap'],
  additionalProperties: false,
} as const;

export const grantAnswer = {
  type: 'object',
  properties: { keyId: { type: 'string' } },
  required: ['keyId'],
  additionalProperties: false,
} as const;

export const pinBody = {
  type: 'object',
  properties: { pin: base64urlOf(64) },
  required: ['pin'],
  additionalProperties: false,
} as const;
