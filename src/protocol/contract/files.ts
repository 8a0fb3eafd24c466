/**
 * Evidence files (docs/protocol.md §4 "Files", §6 "Files"): a file is made with its sealed
 * header and encrypted length, its body is sent over the tus resumable-upload protocol (core
 * protocol 1.0.0: HEAD for the offset, PATCH to append, DELETE to cancel), and it is read back
 * as the stored stream. The reporter works through the mailbox, an adviser through the case.
 * The byte routes carry the tag 'files': tus clients and streaming reads speak them, not the
 * JSON client (protocol/client.ts), which makes the files.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CaseParams } from './cases.js';
import { operation } from './operation.js';
import { Bytes, Described, Envelope, IsoTime, NoContent, Strict } from './primitives.js';

export const NewFileRequest = Strict({
  fileId: Bytes(16, { description: 'A fresh random id; it is also in the header\'s additional data.' }),
  header: Described(Envelope, 'The file header sealed under the case key (ad confidant-v1/file/{caseId}/{fileId}, block 1024).'),
  bytes: Type.Integer({ minimum: 41, description: 'The encrypted body\'s exact length: 24 + size + 17 per started 64 KiB chunk (at least one).' }),
});
export type NewFileRequest = Static<typeof NewFileRequest>;

/** Extension: an adviser's attachment for a relay has no header: the relay's text names it and holds its key. */
export const NewRelayAttachmentRequest = Strict({
  fileId: Bytes(16, { description: 'A fresh random id; the relay text names the attachment by it.' }),
  bytes: NewFileRequest.properties.bytes,
});
export type NewRelayAttachmentRequest = Static<typeof NewRelayAttachmentRequest>;

export const NewFileResponse = Strict({
  fileId: Type.String(),
  uploadUrl: Type.String({ description: 'Where the body goes over tus: HEAD for the offset, PATCH to append, DELETE to cancel.' }),
  expiresAt: Described(IsoTime, 'An upload not finished by then is swept.'),
});
export type NewFileResponse = Static<typeof NewFileResponse>;

/** The headers every tus request carries; validated before the upload is touched. */
const TusVersion = Type.Literal('1.0.0', { description: 'The tus protocol version.' });
export const UploadHeadHeaders = Type.Object({ 'tus-resumable': TusVersion });
export const UploadPatchHeaders = Type.Object({
  'tus-resumable': TusVersion,
  'upload-offset': Type.String({ pattern: '^\\d{1,16}$', description: 'The bytes written so far, as HEAD gave them.' }),
  'content-type': Type.Literal('application/offset+octet-stream'),
});

/** The body of a file as stored: the secretstream header and chunks. */
// No JSON type: the body is bytes, which the server streams through without parsing.
export const FileBody = Type.Unsafe<Uint8Array>({ contentMediaType: 'application/octet-stream', description: 'The encrypted body: the secretstream header, then the chunks.' });
const UploadState = Type.Unsafe<void>({ type: 'null', description: 'No content; Upload-Offset and Upload-Length headers (tus).' });

const FileParams = Strict({ fileId: Bytes(16) });
const CaseFileParams = Strict({ caseId: Bytes(16), fileId: Bytes(16) });

export const createMailboxFile = operation({
  method: 'POST',
  url: '/api/v1/mailbox/files',
  operationId: 'createMailboxFile',
  summary: "Extension: make a file of the reporter's case and its tus upload",
  tag: 'mailbox',
  auth: 'mailbox',
  body: NewFileRequest,
  response: { 201: NewFileResponse },
  errors: [400, 401, 403, 409, 413],
});

export const mailboxUploadOffset = operation({
  method: 'HEAD',
  url: '/api/v1/mailbox/uploads/:fileId',
  operationId: 'mailboxUploadOffset',
  summary: 'Extension (tus HEAD): how many bytes of an upload are written',
  tag: 'files',
  auth: 'mailbox',
  params: FileParams,
  headers: UploadHeadHeaders,
  response: { 200: UploadState },
  errors: [400, 401, 404],
});

export const patchMailboxUpload = operation({
  method: 'PATCH',
  url: '/api/v1/mailbox/uploads/:fileId',
  operationId: 'patchMailboxUpload',
  summary: 'Extension (tus PATCH): append bytes at the offset; the file counts once the last byte is in',
  tag: 'files',
  auth: 'mailbox',
  params: FileParams,
  headers: UploadPatchHeaders,
  body: FileBody,
  response: { 204: UploadState },
  errors: [400, 401, 404, 409, 413],
});

export const cancelMailboxUpload = operation({
  method: 'DELETE',
  url: '/api/v1/mailbox/uploads/:fileId',
  operationId: 'cancelMailboxUpload',
  summary: 'Extension (tus DELETE): cancel an unfinished upload',
  tag: 'files',
  auth: 'mailbox',
  params: FileParams,
  headers: UploadHeadHeaders,
  response: { 204: NoContent },
  errors: [400, 401, 404, 409],
});

export const getMailboxFile = operation({
  method: 'GET',
  url: '/api/v1/mailbox/files/:fileId',
  operationId: 'getMailboxFile',
  summary: "A complete file of the reporter's case, as stored",
  tag: 'files',
  auth: 'mailbox',
  params: FileParams,
  response: { 200: FileBody },
  errors: [400, 401, 404],
});

export const createCaseFile = operation({
  method: 'POST',
  url: '/api/v1/cases/:caseId/files',
  operationId: 'createCaseFile',
  summary: "Extension: make a file of the adviser's for the reporter, and its tus upload",
  tag: 'cases',
  auth: 'staff',
  params: CaseParams,
  body: NewFileRequest,
  response: { 201: NewFileResponse },
  errors: [400, 401, 403, 404, 409, 413],
});

export const createRelayAttachment = operation({
  method: 'POST',
  url: '/api/v1/cases/:caseId/relay-attachments',
  operationId: 'createRelayAttachment',
  summary: "Extension: make an adviser's attachment for a relay of the case (an anonymised document for the organisation), and its tus upload",
  tag: 'relays',
  auth: 'staff',
  params: CaseParams,
  body: NewRelayAttachmentRequest,
  response: { 201: NewFileResponse },
  errors: [400, 401, 403, 404, 409, 413],
});

export const caseUploadOffset = operation({
  method: 'HEAD',
  url: '/api/v1/cases/:caseId/uploads/:fileId',
  operationId: 'caseUploadOffset',
  summary: 'Extension (tus HEAD): how many bytes of an upload are written',
  tag: 'files',
  auth: 'staff',
  params: CaseFileParams,
  headers: UploadHeadHeaders,
  response: { 200: UploadState },
  errors: [400, 401, 403, 404],
});

export const patchCaseUpload = operation({
  method: 'PATCH',
  url: '/api/v1/cases/:caseId/uploads/:fileId',
  operationId: 'patchCaseUpload',
  summary: 'Extension (tus PATCH): append bytes at the offset; the file counts once the last byte is in',
  tag: 'files',
  auth: 'staff',
  params: CaseFileParams,
  headers: UploadPatchHeaders,
  body: FileBody,
  response: { 204: UploadState },
  errors: [400, 401, 403, 404, 409, 413],
});

export const cancelCaseUpload = operation({
  method: 'DELETE',
  url: '/api/v1/cases/:caseId/uploads/:fileId',
  operationId: 'cancelCaseUpload',
  summary: 'Extension (tus DELETE): cancel an unfinished upload',
  tag: 'files',
  auth: 'staff',
  params: CaseFileParams,
  headers: UploadHeadHeaders,
  response: { 204: NoContent },
  errors: [400, 401, 403, 404, 409],
});

export const getCaseFile = operation({
  method: 'GET',
  url: '/api/v1/cases/:caseId/files/:fileId',
  operationId: 'getCaseFile',
  summary: 'A complete file of the case, as stored',
  tag: 'files',
  auth: 'staff',
  params: CaseFileParams,
  response: { 200: FileBody },
  errors: [400, 401, 403, 404],
});

const RelayAttachmentParams = Strict({ relayId: Bytes(16), fileId: Bytes(16) });

export const getRelayAttachment = operation({
  method: 'GET',
  url: '/api/v1/relays/:relayId/attachments/:fileId',
  operationId: 'getRelayAttachment',
  summary: "Extension: an attachment of a relay, as stored, for the relay's advisers and, once it is sent, the organisation's recipients",
  tag: 'files',
  auth: 'staff',
  params: RelayAttachmentParams,
  response: { 200: FileBody },
  errors: [400, 401, 403, 404],
});

export const getMailboxRelayAttachment = operation({
  method: 'GET',
  url: '/api/v1/mailbox/relays/:relayId/attachments/:fileId',
  operationId: 'getMailboxRelayAttachment',
  summary: "Extension: an attachment of a relay of the reporter's case, to open before deciding on it",
  tag: 'files',
  auth: 'mailbox',
  params: RelayAttachmentParams,
  response: { 200: FileBody },
  errors: [400, 401, 404],
});
