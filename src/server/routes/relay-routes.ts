/** Relays: the adviser writes and sends them; organisation recipients read and answer them. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { MESSAGE_BLOCK, RELAY_BLOCK } from '../../protocol/index.js';
import { annualReportRecipients, createAnnualReport, createRelay, getRelay, listRelays, postRelayMessage, relayRecipients, sendRelay } from '../../protocol/contract/index.js';
import { checkId, decodeBytes, encodeBytes, envelopeIn, envelopeOut, timeOrNull } from '../bytes.js';
import { staffGuards } from '../plugins/staff-auth.js';
import { checkBefore } from '../schemas/cursor.js';
import { routeOf } from './operation-route.js';
const holderOut = (h: { keyId: string; name: string; boxPublicKey: Uint8Array; signPublicKey: Uint8Array }) => ({
  keyId: h.keyId,
  name: h.name,
  boxPublicKey: encodeBytes(h.boxPublicKey),
  signPublicKey: encodeBytes(h.signPublicKey),
});

export const relayRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { relays } = app.services;
  const { limits } = app.config;
  const guards = staffGuards(app);
  const viewer = (request: FastifyRequest) => {
    const { accountId, role } = guards.principal(request);
    // guards.staff lets advisers and recipients through, nobody else.
    if (role === 'operator') throw new Error('an operator passed guards.staff');
    return { accountId, role };
  };
  const relayIdOf = (request: { params: { relayId: string } }) => checkId(request.params.relayId, 'relay_id', 16);

  app.route({
    ...routeOf(relayRecipients),
    preHandler: guards.adviser,
    handler: async (request) => {
      const found = await relays.recipients(guards.principal(request).accountId, checkId(request.params.caseId, 'case_id', 16));
      return { organisation: found.organisation, recipients: found.recipients.map(holderOut), advisers: found.advisers.map(holderOut) };
    },
  });

  app.route({
    ...routeOf(createRelay),
    preHandler: guards.adviser,
    handler: async (request, reply) => {
      const body = request.body;
      const created = await relays.create(guards.principal(request).accountId, checkId(request.params.caseId, 'case_id', 16), {
        relayId: checkId(body.relayId, 'relay_id', 16),
        wraps: body.wraps.map((w) => ({ keyId: w.keyId, wrap: decodeBytes(w.wrap, 'wraps_wrap', 80) })),
        text: envelopeIn(body.text, RELAY_BLOCK, limits.messageBytes, 'text_'),
        copy: envelopeIn(body.copy, RELAY_BLOCK, limits.messageBytes, 'copy_'),
        attachments: (body.attachments ?? []).map((id) => checkId(id, 'attachment_id', 16)),
      });
      return reply.status(201).send(created);
    },
  });

  app.route({
    ...routeOf(annualReportRecipients),
    preHandler: guards.adviser,
    handler: async (request) => {
      const found = await relays.annualReportRecipients(guards.principal(request).accountId, request.params.organisation);
      return { organisation: found.organisation, recipients: found.recipients.map(holderOut), advisers: found.advisers.map(holderOut) };
    },
  });

  app.route({
    ...routeOf(createAnnualReport),
    preHandler: guards.adviser,
    handler: async (request, reply) => {
      const body = request.body;
      const relayId = checkId(body.relayId, 'relay_id', 16);
      const sent = await relays.createAnnualReport(guards.principal(request).accountId, request.params.organisation, {
        relayId,
        wraps: body.wraps.map((w) => ({ keyId: w.keyId, wrap: decodeBytes(w.wrap, 'wraps_wrap', 80) })),
        text: envelopeIn(body.text, RELAY_BLOCK, limits.messageBytes, 'text_'),
      });
      return reply.status(201).send({ relayId, state: sent.state, sentAt: sent.sentAt.toISOString() });
    },
  });

  app.route({
    ...routeOf(sendRelay),
    preHandler: guards.adviser,
    handler: async (request) => {
      const relayId = relayIdOf(request);
      const sent = await relays.send(guards.principal(request).accountId, relayId);
      return { relayId, state: sent.state, sentAt: sent.sentAt.toISOString() };
    },
  });

  app.route({
    ...routeOf(listRelays),
    preHandler: guards.recipient,
    handler: async (request) => {
      checkBefore(request.query.before);
      const page = await relays.listForRecipient(guards.principal(request).accountId, request.query);
      return {
        relays: page.relays.map((r) => ({
          relayId: r.relayId,
          kind: r.kind,
          state: 'sent' as const,
          sentAt: r.sentAt.toISOString(),
          wrap: encodeBytes(r.wrap),
          readAt: r.readAt?.toISOString() ?? null,
          lastMessage: r.lastMessage && { author: r.lastMessage.author, sentAt: r.lastMessage.sentAt.toISOString() },
        })),
        next: page.next,
      };
    },
  });

  app.route({
    ...routeOf(getRelay),
    preHandler: guards.staff,
    handler: async (request) => {
      const relay = await relays.view(viewer(request), relayIdOf(request));
      return {
        relayId: relay.relayId,
        kind: relay.kind,
        state: relay.state,
        sentAt: timeOrNull(relay.sentAt),
        wrap: encodeBytes(relay.wrap),
        text: envelopeOut(relay.text),
        approval: relay.approval === null ? null : encodeBytes(relay.approval),
        messages: relay.messages.map((m) => ({ id: m.id, author: m.author, sentAt: m.sentAt.toISOString(), ...envelopeOut(m) })),
        attachments: relay.attachments,
      };
    },
  });

  app.route({
    ...routeOf(postRelayMessage),
    preHandler: guards.staff,
    handler: async (request, reply) => {
      const posted = await relays.postMessage(viewer(request), relayIdOf(request), envelopeIn(request.body, MESSAGE_BLOCK, limits.messageBytes));
      return reply.status(201).send({ id: posted.id, sentAt: posted.sentAt.toISOString() });
    },
  });
};
