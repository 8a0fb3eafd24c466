/** JSON schemas of relays (protocol-v1 §5, §6): what the adviser sends and what the organisation reads. */
import { base64url, base64urlOf, envelope, isoTime, opaqueId, postedAnswer, wireEnvelope } from './common.js';

const relayStates = ['awaiting_consent', 'approved', 'declined', 'sent'] as const;
const keyHolder = {
  type: 'object',
  properties: {
    keyId: { type: 'string' },
    name: { type: 'string' },
    boxPublicKey: base64url,
    signPublicKey: { ...base64url, description: 'Extension: with boxPublicKey, gives the fingerprint people compare.' },
  },
  required: ['keyId', 'name', 'boxPublicKey', 'signPublicKey'],
  additionalProperties: false,
} as const;

export const relayParams = {
  type: 'object',
  properties: { relayId: base64urlOf(16) },
  required: ['relayId'],
} as const;

export const relayRecipients = {
  type: 'object',
  properties: {
    organisation: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, required: ['id', 'name'], additionalProperties: false },
    recipients: { type: 'array', items: keyHolder },
    advisers: { type: 'array', items: keyHolder },
  },
  required: ['organisation', 'recipients', 'advisers'],
  additionalProperties: false,
} as const;

export const createRelayBody = {
  type: 'object',
  properties: {
    relayId: base64urlOf(16),
    wraps: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: { type: 'object', properties: { keyId: opaqueId, wrap: base64urlOf(80) }, required: ['keyId', 'wrap'], additionalProperties: false },
    },
    text: envelope,
    copy: envelope,
  },
  required: ['relayId', 'wraps', 'text', 'copy'],
  additionalProperties: false,
} as const;

export const createRelayAnswer = {
  type: 'object',
  properties: { relayId: { type: 'string' }, state: { type: 'string', enum: relayStates } },
  required: ['relayId', 'state'],
  additionalProperties: false,
} as const;

export const sendRelayAnswer = {
  type: 'object',
  properties: { relayId: { type: 'string' }, state: { type: 'string', enum: relayStates }, sentAt: isoTime },
  required: ['relayId', 'state', 'sentAt'],
  additionalProperties: false,
} as const;

export const relayListQuery = {
  type: 'object',
  properties: {
    before: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
  additionalProperties: false,
} as const;

/** What an organisation recipient sees of its relays: ids, times and its own wraps. */
export const relayList = {
  type: 'object',
  properties: {
    relays: {
      type: 'array',
      items: {
        type: 'object',
        properties: { relayId: { type: 'string' }, state: { type: 'string', enum: ['sent'] }, sentAt: isoTime, wrap: base64url },
        required: ['relayId', 'state', 'sentAt', 'wrap'],
        additionalProperties: false,
      },
    },
    next: { type: ['string', 'null'] },
  },
  required: ['relays', 'next'],
  additionalProperties: false,
} as const;

/** One relay with its thread; the same shape for adviser and organisation, and nothing of the case. */
export const relayView = {
  type: 'object',
  properties: {
    relayId: { type: 'string' },
    state: { type: 'string', enum: relayStates },
    sentAt: { type: ['string', 'null'], format: 'date-time' },
    wrap: base64url,
    text: wireEnvelope,
    approval: { type: ['string', 'null'], description: "Extension: the reporter's keyed hash of the approved copy; null without one." },
    messages: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, author: { type: 'string', enum: ['adviser', 'organisation'] }, sentAt: isoTime, nonce: base64url, ciphertext: base64url },
        required: ['id', 'author', 'sentAt', 'nonce', 'ciphertext'],
        additionalProperties: false,
      },
    },
  },
  required: ['relayId', 'state', 'sentAt', 'wrap', 'text', 'approval', 'messages'],
  additionalProperties: false,
} as const;

export const relayMessageBody = envelope;

export const relayMessageAnswer = postedAnswer;
