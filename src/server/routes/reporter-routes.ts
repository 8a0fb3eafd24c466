/** Reporter side without an account: channel info, proof-of-work challenges, report submission. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { REPORT_BLOCK } from '../../protocol/index.js';
import { getChannel, getPow, submitReport } from '../../protocol/contract/index.js';
import { checkId, decodeBytes, encodeBytes, envelopeIn } from '../bytes.js';
import { routeOf } from './operation-route.js';

export const reporterRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { channels, reports, proofOfWork } = app.services;
  const { limits, powDifficulty } = app.config;

  app.route({
    ...routeOf(getChannel),
    handler: async (request) => {
      const channel = await channels.bySlug(request.params.slug);
      return {
        slug: channel.slug,
        name: channel.name,
        advisers: channel.advisers.map((a) => ({
          keyId: a.keyId,
          name: a.name,
          boxPublicKey: encodeBytes(a.boxPublicKey),
          signPublicKey: encodeBytes(a.signPublicKey),
        })),
        consentRequired: channel.consentRequired,
        pow: { difficulty: channel.powDifficulty },
        maxFileBytes: limits.fileBytes,
      };
    },
  });

  app.route({
    ...routeOf(getPow),
    handler: async (request) => {
      const difficulty = request.query.channel ? (await channels.bySlug(request.query.channel)).powDifficulty : powDifficulty;
      const issued = proofOfWork.issue(difficulty);
      return { challenge: issued.challenge, difficulty: issued.difficulty, expiresAt: issued.expiresAt.toISOString() };
    },
  });

  app.route({
    ...routeOf(submitReport),
    handler: async (request, reply) => {
      const body = request.body;
      const submitted = await reports.submit(request.params.slug, {
        caseId: checkId(body.caseId, 'case_id', 16),
        mailboxId: checkId(body.mailboxId, 'mailbox_id', 16),
        reporterSignPublicKey: decodeBytes(body.reporterSignPublicKey, 'reporter_sign_public_key', 32),
        reporterBoxPublicKey: decodeBytes(body.reporterBoxPublicKey, 'reporter_box_public_key', 32),
        wraps: body.wraps.map((w) => ({ keyId: w.keyId, wrap: decodeBytes(w.wrap, 'wraps_wrap', 80) })),
        reporterWrap: decodeBytes(body.reporterWrap, 'reporter_wrap', 80),
        report: envelopeIn(body.report, REPORT_BLOCK, limits.reportBytes, 'report_'),
        pow: body.pow,
        commitment: body.commitment,
      });
      return reply.status(201).send({
        caseId: submitted.caseId,
        receivedAt: submitted.receivedAt.toISOString(),
        acknowledgeBy: submitted.acknowledgeBy.toISOString(),
      });
    },
  });
};
