/** Relays: the adviser writes and sends them; organisation recipients read and answer them. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MESSAGE_BLOCK, RELAY_BLOCK, type Envelope } from '../../protocol/index.js';
import { checkId, decodeBytes, decodeCiphertext, encodeBytes } from '../bytes.js';
import { staffGuards } from '../plugins/staff-auth.js';
import { caseParams } from '../schemas/cases.js';
import { errors } from '../schemas/common.js';
import { checkBefore } from '../schemas/cursor.js';
import {
  createRelayAnswer,
  createRelayBody,
  relayList,
  relayListQuery,
  relayMessageAnswer,
  relayMessageBody,
  relayParams,
  relayRecipients,
  relayView,
  sendRelayAnswer,
} from '../schemas/relays.js';

const envelopeOut = (e: { nonce: Uint8Array; ciphertext: Uint8Array }) => ({ nonce: encodeBytes(e.nonce), ciphertext: encodeBytes(e.ciphertext) });
const holderOut = (h: { keyId: string; name: string; boxPublicKey: Uint8Array; signPublicKey: Uint8Array }) => ({
  keyId: h.keyId,
  name: h.name,
  boxPublicKey: encodeBytes(h.boxPublicKey),
  signPublicKey: encodeBytes(h.signPublicKey),
});
const security = [{ bearer: [] }];

export async function relayRoutes(app: FastifyInstance): Promise<void> {
  const { relays } = app.services;
  const { limits } = app.config;
  const guards = staffGuards(app);
  const viewer = (request: FastifyRequest) => {
    const principal = guards.principal(request);
    return { accountId: principal.accountId, role: principal.role };
  };
  /** Field names for errors: `text_ciphertext` inside a relay, plain `ciphertext` for a message body. */
  const sealedIn = (body: Envelope, prefix: string, block: number) => ({
    nonce: decodeBytes(body.nonce, `${prefix}nonce`, 24),
    ciphertext: decodeCiphertext(body.ciphertext, `${prefix}ciphertext`, block, limits.messageBytes),
  });
  const relayIdOf = (request: { params: { relayId: string } }) => checkId(request.params.relayId, 'relay_id', 16);

  app.get<{ Params: { caseId: string } }>(
    '/api/v1/cases/:caseId/relay-recipients',
    { preHandler: guards.adviser, schema: { tags: ['relays'], security, params: caseParams, response: { 200: relayRecipients, ...errors(400, 401, 403, 404) } } },
    async (request) => {
      const found = await relays.recipients(guards.principal(request).accountId, checkId(request.params.caseId, 'case_id', 16));
      return { organisation: found.organisation, recipients: found.recipients.map(holderOut), advisers: found.advisers.map(holderOut) };
    },
  );

  app.post<{ Params: { caseId: string }; Body: { relayId: string; wraps: Array<{ keyId: string; wrap: string }>; text: Envelope; copy: Envelope } }>(
    '/api/v1/cases/:caseId/relays',
    {
      preHandler: guards.adviser,
      schema: { tags: ['relays'], security, params: caseParams, body: createRelayBody, response: { 201: createRelayAnswer, ...errors(400, 401, 403, 404, 409, 413) } },
    },
    async (request, reply) => {
      const body = request.body;
      const created = await relays.create(guards.principal(request).accountId, checkId(request.params.caseId, 'case_id', 16), {
        relayId: checkId(body.relayId, 'relay_id', 16),
        wraps: body.wraps.map((w) => ({ keyId: w.keyId, wrap: decodeBytes(w.wrap, 'wraps_wrap', 80) })),
        text: sealedIn(body.text, 'text_', RELAY_BLOCK),
        copy: sealedIn(body.copy, 'copy_', RELAY_BLOCK),
      });
      return reply.status(201).send(created);
    },
  );

  app.post<{ Params: { relayId: string } }>(
    '/api/v1/relays/:relayId/send',
    { preHandler: guards.adviser, schema: { tags: ['relays'], security, params: relayParams, response: { 200: sendRelayAnswer, ...errors(400, 401, 403, 404, 409) } } },
    async (request) => {
      const relayId = relayIdOf(request);
      const sent = await relays.send(guards.principal(request).accountId, relayId);
      return { relayId, state: sent.state, sentAt: sent.sentAt.toISOString() };
    },
  );

  app.get<{ Querystring: { before?: string; limit?: number } }>(
    '/api/v1/relays',
    { preHandler: guards.recipient, schema: { tags: ['relays'], security, querystring: relayListQuery, response: { 200: relayList, ...errors(400, 401, 403) } } },
    async (request) => {
      checkBefore(request.query.before);
      const page = await relays.listForRecipient(guards.principal(request).accountId, request.query);
      return {
        relays: page.relays.map((r) => ({ relayId: r.relayId, state: 'sent', sentAt: r.sentAt.toISOString(), wrap: encodeBytes(r.wrap) })),
        next: page.next,
      };
    },
  );

  app.get<{ Params: { relayId: string } }>(
    '/api/v1/relays/:relayId',
    { preHandler: guards.staff, schema: { tags: ['relays'], security, params: relayParams, response: { 200: relayView, ...errors(400, 401, 403, 404) } } },
    async (request) => {
      const relay = await relays.view(viewer(request), relayIdOf(request));
      return {
        relayId: relay.relayId,
        state: relay.state,
        sentAt: relay.sentAt?.toISOString() ?? null,
        wrap: encodeBytes(relay.wrap),
        text: envelopeOut(relay.text),
        approval: relay.approval === null ? null : encodeBytes(relay.approval),
        messages: relay.messages.map((m) => ({ id: m.id, author: m.author, sentAt: m.sentAt.toISOString(), ...envelopeOut(m) })),
      };
    },
  );

  app.post<{ Params: { relayId: string }; Body: Envelope }>(
    '/api/v1/relays/:relayId/messages',
    {
      preHandler: guards.staff,
      schema: { tags: ['relays'], security, params: relayParams, body: relayMessageBody, response: { 201: relayMessageAnswer, ...errors(400, 401, 403, 404, 409, 413) } },
    },
    async (request, reply) => {
      const posted = await relays.postMessage(viewer(request), relayIdOf(request), sealedIn(request.body, '', MESSAGE_BLOCK));
      return reply.status(201).send({ id: posted.id, sentAt: posted.sentAt.toISOString() });
    },
  );
}
