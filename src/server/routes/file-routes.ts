/**
 * Evidence files over HTTP: making a file (JSON), sending its body over tus (@tus/server on the
 * file store: HEAD, PATCH; DELETE cancels), and reading it back as a stream. Every request is
 * authorised here first, by the mailbox session or the adviser's session, before tus sees it;
 * tus's own errors leave as the API's error body.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Server as TusServer } from '@tus/server';
import { encryptedFileSize, FILE_HEADER_BLOCK } from '../../protocol/index.js';
import {
  cancelCaseUpload, cancelMailboxUpload, caseUploadOffset, createCaseFile, createMailboxFile, createRelayAttachment, getCaseFile, getMailboxFile,
  getMailboxRelayAttachment, getRelayAttachment, mailboxUploadOffset, patchCaseUpload, patchMailboxUpload,
} from '../../protocol/contract/index.js';
import { checkId, envelopeIn } from '../bytes.js';
import { bearerToken } from '../plugins/bearer.js';
import { securityHeaderSet } from '../plugins/security-headers.js';
import { staffGuards } from '../plugins/staff-auth.js';
import type { FileActor } from '../services/files.js';
import { routeOf } from './operation-route.js';

declare module 'fastify' {
  interface FastifyRequest {
    fileActor: FileActor | null;
  }
}

interface Refusal {
  status: number;
  error: string;
  message: string;
}

/** tus answers in plain text (@tus/utils ERRORS); its refusals leave as the API's codes (docs/protocol.md §10). */
const TUS_REFUSALS: Array<{ when: (status: number, text: string) => boolean; answer: Refusal }> = [
  { when: (s) => s === 409, answer: { status: 409, error: 'upload_offset_mismatch', message: 'Upload-Offset must be the number of bytes written so far: ask with HEAD, then send from there.' } },
  { when: (s) => s === 413, answer: { status: 413, error: 'upload_too_long', message: 'The body goes past the length the upload was made with.' } },
  { when: (s) => s === 404 || s === 410, answer: { status: 404, error: 'unknown_upload', message: 'There is no unfinished upload with this id that you can write to.' } },
  { when: (s, text) => s === 400 && text.includes('lock'), answer: { status: 409, error: 'upload_busy', message: 'Another request is writing to this upload; try again.' } },
  { when: (s) => s >= 400 && s < 500, answer: { status: 400, error: 'invalid_upload_request', message: 'The tus request is not valid (docs/protocol.md §6 "Files").' } },
];
const TUS_FAULT: Refusal = { status: 500, error: 'internal_error', message: 'The upload could not be written; ask with HEAD and resume.' };

function tusError(error: { status_code?: number; body?: string }): { status_code: number; body: string } {
  const status = error.status_code ?? 500;
  const { status: answered, ...body } = TUS_REFUSALS.find((r) => r.when(status, error.body ?? ''))?.answer ?? TUS_FAULT;
  return { status_code: answered, body: JSON.stringify(body) };
}

export const fileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { files, fileBodies, mailbox, relays } = app.services;
  const { limits } = app.config;
  const guards = staffGuards(app);

  const tus = new TusServer({
    // Uploads are made by the JSON routes below, never by a tus POST: the path is not routed.
    path: '/api/v1/uploads',
    datastore: fileBodies.store,
    getFileIdFromRequest: (req) => new URL(req.url).pathname.split('/').pop(),
    // Same origin only: no CORS headers.
    allowedOrigins: () => false,
    disableTerminationForFinishedUploads: true,
    maxSize: encryptedFileSize(limits.fileBytes),
    onUploadFinish: async (_req, upload) => {
      await files.complete(upload.id);
      return {};
    },
    onResponseError: (_req, error) => tusError(error as { status_code?: number; body?: string }),
  });

  // The body of a PATCH is left unread: tus streams it to the disk.
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));
  app.decorateRequest('fileActor', null);
  const actor = (request: FastifyRequest) => request.fileActor as FileActor;
  // The routes' schemas checked the path's shape; checkId decodes it.
  const paramOf = (request: FastifyRequest, name: 'caseId' | 'fileId' | 'relayId') =>
    checkId((request.params as Record<string, string>)[name] ?? '', name.replace('Id', '_id').toLowerCase(), 16);

  const asReporter = async (request: FastifyRequest) => {
    const session = await mailbox.authenticate(bearerToken(request));
    request.fileActor = { kind: 'reporter', caseId: session.caseId };
  };
  const asAdviser = async (request: FastifyRequest) => {
    await guards.adviser(request);
    request.fileActor = { kind: 'adviser', accountId: guards.principal(request).accountId, caseId: paramOf(request, 'caseId') };
  };

  /** Checks the upload is the actor's own and unfinished or just finished, then lets tus answer. */
  const toTus = async (request: FastifyRequest, reply: FastifyReply) => {
    await files.checkUpload(actor(request), paramOf(request, 'fileId'));
    reply.hijack();
    // tus writes the answer itself, past the onSend hook that adds these to every other one.
    for (const [name, value] of Object.entries(securityHeaderSet)) reply.raw.setHeader(name, value);
    await tus.handle(request.raw, reply.raw);
  };

  const create = async (request: FastifyRequest<{ Body: { fileId: string; header: { nonce: string; ciphertext: string }; bytes: number } }>, reply: FastifyReply, uploadUrl: string) => {
    const body = request.body;
    const made = await files.create(actor(request), {
      fileId: checkId(body.fileId, 'file_id', 16),
      header: envelopeIn(body.header, FILE_HEADER_BLOCK, FILE_HEADER_BLOCK, 'header_'),
      bytes: body.bytes,
    });
    return reply.status(201).send({ fileId: made.fileId, uploadUrl, expiresAt: made.expiresAt.toISOString() });
  };

  const cancel = async (request: FastifyRequest, reply: FastifyReply) => {
    await files.cancel(actor(request), paramOf(request, 'fileId'));
    return reply.status(204).header('tus-resumable', '1.0.0').send();
  };

  const sendBody = (reply: FastifyReply, file: { bytes: number; body: NodeJS.ReadableStream }) =>
    reply
      .type('application/octet-stream')
      .header('content-length', String(file.bytes))
      .header('cache-control', 'no-store')
      .header('content-disposition', 'attachment')
      .send(file.body);

  const download = async (request: FastifyRequest, reply: FastifyReply) => sendBody(reply, await files.open(actor(request), paramOf(request, 'fileId')));

  app.route({ ...routeOf(createMailboxFile), preHandler: asReporter, handler: (request, reply) => create(request, reply, `/api/v1/mailbox/uploads/${request.body.fileId}`) });
  app.route({ ...routeOf(mailboxUploadOffset), preHandler: asReporter, handler: toTus });
  app.route({ ...routeOf(patchMailboxUpload), preHandler: asReporter, handler: toTus });
  app.route({ ...routeOf(cancelMailboxUpload), preHandler: asReporter, handler: cancel });
  app.route({ ...routeOf(getMailboxFile), preHandler: asReporter, handler: download });

  app.route({
    ...routeOf(createCaseFile),
    preHandler: asAdviser,
    handler: (request, reply) => create(request, reply, `/api/v1/cases/${request.params.caseId}/uploads/${request.body.fileId}`),
  });
  app.route({ ...routeOf(caseUploadOffset), preHandler: asAdviser, handler: toTus });
  app.route({ ...routeOf(patchCaseUpload), preHandler: asAdviser, handler: toTus });
  app.route({ ...routeOf(cancelCaseUpload), preHandler: asAdviser, handler: cancel });
  app.route({ ...routeOf(getCaseFile), preHandler: asAdviser, handler: download });

  app.route({
    ...routeOf(createRelayAttachment),
    preHandler: asAdviser,
    handler: async (request, reply) => {
      const made = await files.createRelayAttachment(actor(request) as Extract<FileActor, { kind: 'adviser' }>, {
        fileId: checkId(request.body.fileId, 'file_id', 16),
        bytes: request.body.bytes,
      });
      return reply.status(201).send({ fileId: made.fileId, uploadUrl: `/api/v1/cases/${request.params.caseId}/uploads/${made.fileId}`, expiresAt: made.expiresAt.toISOString() });
    },
  });
  app.route({
    ...routeOf(getRelayAttachment),
    preHandler: guards.staff,
    handler: async (request, reply) => {
      const { accountId, role } = guards.principal(request);
      const relayId = paramOf(request, 'relayId');
      // guards.staff lets advisers and recipients through, nobody else.
      await relays.checkReader({ accountId, role: role === 'adviser' ? 'adviser' : 'recipient' }, relayId);
      return sendBody(reply, await files.openRelayAttachment(relayId, paramOf(request, 'fileId')));
    },
  });
  app.route({
    ...routeOf(getMailboxRelayAttachment),
    preHandler: asReporter,
    handler: async (request, reply) =>
      sendBody(reply, await files.openMailboxRelayAttachment(actor(request).caseId, paramOf(request, 'relayId'), paramOf(request, 'fileId'))),
  });
};
