/** The registrations of a period, for the annual report the adviser's browser counts. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listRegistrations, putCaseKeyCopies } from '../../protocol/contract/index.js';
import { checkId, decodeBytes, encodeBytes, envelopeOut, timeIn, timeOrNull } from '../bytes.js';
import { staffGuards } from '../plugins/staff-auth.js';
import { checkBefore } from '../schemas/cursor.js';
import { routeOf } from './operation-route.js';

export const annualReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { periodRegistrations } = app.services;
  const guards = staffGuards(app);

  app.route({
    ...routeOf(listRegistrations),
    preHandler: guards.adviser,
    handler: async (request) => {
      const { from, to, channel, after, limit } = request.query;
      checkBefore(after, 'after');
      const page = await periodRegistrations.page(guards.principal(request).accountId, {
        from: timeIn(from, 'from'),
        to: timeIn(to, 'to'),
        channel,
        after,
        limit: limit ?? 500,
      });
      return {
        registrations: page.registrations.map((r) => ({
          caseId: r.caseId,
          channel: r.channel,
          status: r.status,
          receivedAt: r.receivedAt.toISOString(),
          acknowledgedAt: timeOrNull(r.acknowledgedAt),
          feedbackGivenAt: timeOrNull(r.feedbackGivenAt),
          wrap: encodeBytes(r.wrap),
          pin: r.pin === null ? null : encodeBytes(r.pin),
          keyCopy: r.keyCopy ? envelopeOut(r.keyCopy) : null,
          registration: r.registration ? { ...envelopeOut(r.registration), updatedAt: r.registration.updatedAt.toISOString() } : null,
        })),
        next: page.next,
      };
    },
  });

  app.route({
    ...routeOf(putCaseKeyCopies),
    preHandler: guards.adviser,
    handler: async (request) => {
      const copies = request.body.copies.map((c) => ({
        caseId: checkId(c.caseId, 'copies_case_id', 16),
        nonce: decodeBytes(c.keyCopy.nonce, 'copies_key_copy_nonce', 24),
        ciphertext: decodeBytes(c.keyCopy.ciphertext, 'copies_key_copy_ciphertext', 48),
      }));
      return { stored: await periodRegistrations.storeKeyCopies(guards.principal(request).accountId, copies) };
    },
  });
};
