/** JSON schemas of the reporter side of protocol-v1 §6: channel info, proof of work, submission, mailbox. */
import { base64url, base64urlOf, caseCommitment, caseMessages, nullableCaseCommitment, envelope, isoTime, opaqueId, postedAnswer, wireEnvelope } from './common.js';

const KEY = base64urlOf(32);
const WRAP = base64urlOf(80);
const ID16 = base64urlOf(16);
const slug = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' } as const;

export const slugParams = {
  type: 'object',
  properties: { slug },
  required: ['slug'],
} as const;

export const channelInfo = {
  type: 'object',
  properties: {
    slug: { type: 'string' },
    name: { type: 'string' },
    advisers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { keyId: { type: 'string' }, name: { type: 'string' }, boxPublicKey: base64url, signPublicKey: base64url },
        required: ['keyId', 'name', 'boxPublicKey', 'signPublicKey'],
        additionalProperties: false,
      },
    },
    consentRequired: { type: 'boolean', description: 'When false, relays to the organisation need no approval by the reporter.' },
    pow: { type: 'object', properties: { difficulty: { type: 'integer' } }, required: ['difficulty'], additionalProperties: false },
    maxFileBytes: { type: 'integer' },
  },
  required: ['slug', 'name', 'advisers', 'consentRequired', 'pow', 'maxFileBytes'],
  additionalProperties: false,
} as const;

export const powQuery = {
  type: 'object',
  properties: { channel: { ...slug, description: 'Extension: the channel whose difficulty applies; the instance default without it.' } },
  additionalProperties: false,
} as const;

export const powChallenge = {
  type: 'object',
  properties: { challenge: { type: 'string' }, difficulty: { type: 'integer' }, expiresAt: isoTime },
  required: ['challenge', 'difficulty', 'expiresAt'],
  additionalProperties: false,
} as const;

export const submitReportBody = {
  type: 'object',
  properties: {
    v: { const: 1 },
    caseId: ID16,
    mailboxId: ID16,
    reporterSignPublicKey: KEY,
    reporterBoxPublicKey: KEY,
    wraps: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        properties: { keyId: opaqueId, wrap: WRAP },
        required: ['keyId', 'wrap'],
        additionalProperties: false,
      },
    },
    reporterWrap: WRAP,
    report: envelope,
    commitment: { ...caseCommitment, description: "Extension: the reporter's signed case commitment; optional for v1 clients." },
    pow: {
      type: 'object',
      properties: {
        challenge: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' },
        nonce: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      },
      required: ['challenge', 'nonce'],
      additionalProperties: false,
    },
  },
  required: ['v', 'caseId', 'mailboxId', 'reporterSignPublicKey', 'reporterBoxPublicKey', 'wraps', 'reporterWrap', 'report'],
  additionalProperties: false,
} as const;

export const submitReportAnswer = {
  type: 'object',
  properties: { caseId: { type: 'string' }, receivedAt: isoTime, acknowledgeBy: isoTime },
  required: ['caseId', 'receivedAt', 'acknowledgeBy'],
  additionalProperties: false,
} as const;

export const mailboxChallengeBody = {
  type: 'object',
  properties: { mailboxId: ID16 },
  required: ['mailboxId'],
  additionalProperties: false,
} as const;

export const mailboxChallengeAnswer = {
  type: 'object',
  properties: { challenge: base64url },
  required: ['challenge'],
  additionalProperties: false,
} as const;

export const mailboxSessionBody = {
  type: 'object',
  properties: { mailboxId: ID16, challenge: base64urlOf(32), signature: base64urlOf(64) },
  required: ['mailboxId', 'challenge', 'signature'],
  additionalProperties: false,
} as const;

export const sessionAnswer = {
  type: 'object',
  properties: { token: { type: 'string' }, expiresAt: isoTime },
  required: ['token', 'expiresAt'],
  additionalProperties: false,
} as const;


export const mailboxView = {
  type: 'object',
  properties: {
    caseId: { type: 'string' },
    status: { type: 'string', enum: ['received', 'acknowledged', 'in_progress', 'closed'] },
    receivedAt: isoTime,
    acknowledgedAt: { type: ['string', 'null'], format: 'date-time' },
    feedbackBy: isoTime,
    reporterWrap: base64url,
    report: wireEnvelope,
    messages: caseMessages,
    relays: {
      type: 'array',
      items: {
        type: 'object',
        properties: { relayId: { type: 'string' }, state: { type: 'string' }, copy: wireEnvelope },
        required: ['relayId', 'state', 'copy'],
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
    commitment: nullableCaseCommitment,
    readers: {
      type: 'array',
      description: 'Extension: every adviser who can read the case; granted = given access by a colleague after submission.',
      items: {
        type: 'object',
        properties: { keyId: { type: 'string' }, name: { type: 'string' }, granted: { type: 'boolean' } },
        required: ['keyId', 'name', 'granted'],
        additionalProperties: false,
      },
    },
  },
  required: ['caseId', 'status', 'receivedAt', 'acknowledgedAt', 'feedbackBy', 'reporterWrap', 'report', 'messages', 'relays', 'files', 'commitment', 'readers'],
  additionalProperties: false,
} as const;

export const postMessageBody = envelope;

export const postMessageAnswer = postedAnswer;

export const relayParams = {
  type: 'object',
  properties: { relayId: opaqueId },
  required: ['relayId'],
} as const;

export const consentBody = {
  type: 'object',
  properties: {
    decision: { type: 'string', enum: ['approve', 'decline'] },
    approval: { ...base64urlOf(32), description: "Extension, with approve: the keyed hash of the approved copy (docs/protocol.md)." },
  },
  required: ['decision'],
  additionalProperties: false,
} as const;

export const consentAnswer = {
  type: 'object',
  properties: { relayId: { type: 'string' }, state: { type: 'string' } },
  required: ['relayId', 'state'],
  additionalProperties: false,
} as const;

export const rotateBody = {
  type: 'object',
  properties: {
    mailboxId: ID16,
    reporterSignPublicKey: KEY,
    reporterBoxPublicKey: KEY,
    reporterWrap: WRAP,
    proof: { ...base64urlOf(64), description: 'sign(ASCII("confidant-v1/mailbox-rotate/") ‖ new mailboxId bytes ‖ new reporterSignPublicKey, current signSk)' },
    commitmentSignature: { ...base64urlOf(64), description: "Extension: the case's commitment signed again with the new code's key; required when the case has one." },
  },
  required: ['mailboxId', 'reporterSignPublicKey', 'reporterBoxPublicKey', 'reporterWrap', 'proof'],
  additionalProperties: false,
} as const;

export const okAnswer = {
  type: 'object',
  properties: { ok: { type: 'boolean' } },
  required: ['ok'],
  additionalProperties: false,
} as const;
