/** The adviser's cases: list, detail, messages to the reporter, status, registration, legal hold, grants. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HOLD_BLOCK, MESSAGE_BLOCK, REGISTRATION_BLOCK } from '../../protocol/index.js';
import { deleteHold, getCase, grantCase, listCases, pinCase, postCaseMessage, putHold, putRegistration, setCaseStatus } from '../../protocol/contract/index.js';
import { calendarDayOrNull, checkId, decodeBytes, encodeBytes, envelopeIn, envelopeOut, messageOut, timeOrNull } from '../bytes.js';
import { staffGuards } from '../plugins/staff-auth.js';
import { checkBefore } from '../schemas/cursor.js';
import type { CaseSummary } from '../services/cases.js';
import { routeOf } from './operation-route.js';

/** What a case shows in the list and on its page, for the answer. */
const summaryOut = (c: Omit<CaseSummary, 'unread'>) => ({
  caseId: c.caseId,
  channel: c.channel,
  status: c.status,
  receivedAt: c.receivedAt.toISOString(),
  acknowledgedAt: timeOrNull(c.acknowledgedAt),
  acknowledgeBy: c.acknowledgeBy.toISOString(),
  feedbackBy: c.feedbackBy.toISOString(),
  feedbackGivenAt: timeOrNull(c.feedbackGivenAt),
  overdue: c.overdue,
  followUpOn: c.followUpOn,
  deleteAfter: timeOrNull(c.deleteAfter),
  held: c.held,
  wrap: encodeBytes(c.wrap),
});

export const caseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { cases } = app.services;
  const { limits } = app.config;
  const guards = staffGuards(app);
  const me = (request: Parameters<typeof guards.principal>[0]) => guards.principal(request).accountId;
  const caseIdOf = (request: { params: { caseId: string } }) => checkId(request.params.caseId, 'case_id', 16);

  app.route({
    ...routeOf(listCases),
    preHandler: guards.adviser,
    handler: async (request) => {
      checkBefore(request.query.before);
      const page = await cases.list(me(request), request.query);
      return {
        // No spread: this runs for every row of every inbox page.
        cases: page.cases.map((c) => Object.assign(summaryOut(c), { unread: c.unread })),
        next: page.next,
      };
    },
  });

  app.route({
    ...routeOf(getCase),
    preHandler: guards.adviser,
    handler: async (request) => {
      const c = await cases.detail(me(request), caseIdOf(request));
      return {
        ...summaryOut(c),
        reporterWrap: encodeBytes(c.reporterWrap),
        reporterSignPublicKey: encodeBytes(c.reporterSignPublicKey),
        commitment: c.commitment,
        pin: c.pin === null ? null : encodeBytes(c.pin),
        report: envelopeOut(c.report),
        messages: c.messages.map(messageOut),
        relays: c.relays.map((r) => ({ relayId: r.relayId, state: r.state, createdAt: r.createdAt.toISOString(), sentAt: timeOrNull(r.sentAt), copy: envelopeOut(r.copy), attachments: r.attachments })),
        files: c.files.map((f) => ({ fileId: f.fileId, header: envelopeOut(f.header), bytes: f.bytes, author: f.author })),
        registration: c.registration ? { ...envelopeOut(c.registration), updatedAt: c.registration.updatedAt.toISOString() } : null,
        hold: c.hold ? { heldAt: c.hold.heldAt.toISOString(), heldBy: c.hold.heldBy, reason: envelopeOut(c.hold.reason) } : null,
      };
    },
  });

  app.route({
    ...routeOf(postCaseMessage),
    preHandler: guards.adviser,
    handler: async (request, reply) => {
      const envelope = envelopeIn(request.body, MESSAGE_BLOCK, limits.messageBytes);
      const posted = await cases.postMessage(me(request), caseIdOf(request), envelope, { feedback: request.body.feedback === true });
      return reply.status(201).send({ id: posted.id, sentAt: posted.sentAt.toISOString() });
    },
  });

  app.route({
    ...routeOf(setCaseStatus),
    preHandler: guards.adviser,
    handler: async (request) => {
      const changed = await cases.setStatus(me(request), caseIdOf(request), request.body.status);
      return {
        status: changed.status,
        acknowledgedAt: timeOrNull(changed.acknowledgedAt),
        acknowledgeBy: changed.acknowledgeBy.toISOString(),
        feedbackBy: changed.feedbackBy.toISOString(),
        overdue: changed.overdue,
        deleteAfter: timeOrNull(changed.deleteAfter),
      };
    },
  });

  app.route({
    ...routeOf(putRegistration),
    preHandler: guards.adviser,
    handler: async (request) => {
      const envelope = envelopeIn(request.body, REGISTRATION_BLOCK, limits.messageBytes);
      const saved = await cases.putRegistration(me(request), caseIdOf(request), envelope, calendarDayOrNull(request.body.followUpOn, 'follow_up_on'));
      return { updatedAt: saved.updatedAt.toISOString() };
    },
  });

  app.route({
    ...routeOf(putHold),
    preHandler: guards.adviser,
    handler: async (request) => {
      const reason = envelopeIn(request.body, HOLD_BLOCK, HOLD_BLOCK);
      const held = await cases.putHold(me(request), caseIdOf(request), reason);
      return { heldAt: held.heldAt.toISOString() };
    },
  });

  app.route({
    ...routeOf(deleteHold),
    preHandler: guards.adviser,
    handler: async (request, reply) => {
      await cases.releaseHold(me(request), caseIdOf(request));
      return reply.status(204).send();
    },
  });

  app.route({
    ...routeOf(pinCase),
    preHandler: guards.adviser,
    handler: async (request, reply) => {
      await cases.pin(me(request), caseIdOf(request), decodeBytes(request.body.pin, 'pin', 64));
      return reply.status(204).send();
    },
  });

  app.route({
    ...routeOf(grantCase),
    preHandler: guards.adviser,
    handler: async (request, reply) => {
      await cases.grant(me(request), caseIdOf(request), { keyId: request.body.keyId, wrap: decodeBytes(request.body.wrap, 'wrap', 80) });
      return reply.status(201).send({ keyId: request.body.keyId });
    },
  });
};
