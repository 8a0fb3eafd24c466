/** Reporter side without an account: channel info, proof-of-work challenges, report submission. */
import type { FastifyInstance } from 'fastify';
import type { SubmitReportRequest } from '../../protocol/index.js';
import { REPORT_BLOCK } from '../../protocol/index.js';
import { checkId, decodeBytes, decodeCiphertext, encodeBytes } from '../bytes.js';
import { errors } from '../schemas/common.js';
import { channelInfo, powChallenge, powQuery, slugParams, submitReportAnswer, submitReportBody } from '../schemas/reporter.js';

export async function reporterRoutes(app: FastifyInstance): Promise<void> {
  const { channels, reports, proofOfWork } = app.services;
  const { limits, powDifficulty } = app.config;

  app.get<{ Params: { slug: string } }>(
    '/api/v1/channels/:slug',
    { schema: { tags: ['reporter'], params: slugParams, response: { 200: channelInfo, ...errors(400, 404) } } },
    async (request) => {
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
  );

  app.get<{ Querystring: { channel?: string } }>(
    '/api/v1/pow',
    { schema: { tags: ['reporter'], querystring: powQuery, response: { 200: powChallenge, ...errors(400, 404) } } },
    async (request) => {
      const difficulty = request.query.channel ? (await channels.bySlug(request.query.channel)).powDifficulty : powDifficulty;
      const issued = proofOfWork.issue(difficulty);
      return { challenge: issued.challenge, difficulty: issued.difficulty, expiresAt: issued.expiresAt.toISOString() };
    },
  );

  app.post<{ Params: { slug: string }; Body: SubmitReportRequest }>(
    '/api/v1/channels/:slug/reports',
    {
      schema: {
        tags: ['reporter'],
        params: slugParams,
        body: submitReportBody,
        response: { 201: submitReportAnswer, ...errors(400, 404, 409, 413, 428) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const submitted = await reports.submit(request.params.slug, {
        caseId: checkId(body.caseId, 'case_id', 16),
        mailboxId: checkId(body.mailboxId, 'mailbox_id', 16),
        reporterSignPublicKey: decodeBytes(body.reporterSignPublicKey, 'reporter_sign_public_key', 32),
        reporterBoxPublicKey: decodeBytes(body.reporterBoxPublicKey, 'reporter_box_public_key', 32),
        wraps: body.wraps.map((w) => ({ keyId: w.keyId, wrap: decodeBytes(w.wrap, 'wraps_wrap', 80) })),
        reporterWrap: decodeBytes(body.reporterWrap, 'reporter_wrap', 80),
        report: {
          nonce: decodeBytes(body.report.nonce, 'report_nonce', 24),
          ciphertext: decodeCiphertext(body.report.ciphertext, 'report_ciphertext', REPORT_BLOCK, limits.reportBytes),
        },
        pow: body.pow,
        commitment: body.commitment,
      });
      return reply.status(201).send({
        caseId: submitted.caseId,
        receivedAt: submitted.receivedAt.toISOString(),
        acknowledgeBy: submitted.acknowledgeBy.toISOString(),
      });
    },
  );
}
