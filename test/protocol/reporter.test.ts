// The reporter flows of reporter.ts over ConfidantClient, against an in-memory fake of the
// reporter routes (not the real server: that one gets its own integration tests). The fake
// checks what a server must check: PoW, login signature, padded lengths.
import t from 'tap';
import {
  ApiError, ConfidantClient, MESSAGE_BLOCK, REPORT_BLOCK, decryptRecord, encryptRecord, fromBase64url, isEnvelope, isSealedKey, makeStaffKeys, messageAd, openMailbox, ready, relayCopyAd, reportAd, sodium, submitNewReport, toBase64url, unsealKey
} from '../../src/protocol/index.js';
import { verifyMailboxLogin, verifyMailboxRotate, verifyPow } from '../../src/protocol/checks.js';
import type {
  ChannelInfo, ConsentRequest, Envelope, FetchInit, FetchLike, MailboxChallengeRequest, MailboxSessionRequest, MailboxView,
  ReportPlaintext, RotateMailboxRequest, StaffKeys, SubmitReportRequest
} from '../../src/protocol/index.js';

interface StoredCase {
  request: SubmitReportRequest;
  mailboxId: string;
  signPublicKey: string;
  reporterWrap: string;
  messages: MailboxView['messages'];
  relays: MailboxView['relays'];
}

function fakeServer(channel: ChannelInfo): { fetch: FetchLike; cases: Map<string, StoredCase>; requests: Array<{ url: string; init: FetchInit }> } {
  const cases = new Map<string, StoredCase>();
  const challenges = new Map<string, string>();
  const sessions = new Map<string, string>();
  const powChallenges = new Set<string>();
  const requests: Array<{ url: string; init: FetchInit }> = [];
  const answer = (status: number, body?: unknown): ReturnType<FetchLike> => Promise.resolve({
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    text: async () => body === undefined ? '' : JSON.stringify(body)
  });
  const fail = (status: number, error: string): ReturnType<FetchLike> => answer(status, { error, message: error });
  const fetch: FetchLike = async (url, init) => {
    requests.push({ url, init });
    const body: unknown = init.body === undefined ? undefined : JSON.parse(init.body);
    const token = init.headers.authorization?.replace(/^Bearer /, '');
    const caseOf = (): StoredCase | undefined => {
      const caseId = token === undefined ? undefined : sessions.get(token);
      return caseId === undefined ? undefined : cases.get(caseId);
    };
    const route = `${init.method} ${url.replace('https://confidant.test', '')}`;
    switch (route) {
      case `GET /api/v1/channels/${channel.slug}`: return await answer(200, channel);
      // The client asks for the difficulty of the channel it submits to.
      case `GET /api/v1/pow?channel=${channel.slug}`: {
        const challenge = toBase64url(sodium().randombytes_buf(16));
        powChallenges.add(challenge);
        return await answer(200, { challenge, difficulty: channel.pow.difficulty, expiresAt: new Date(Date.now() + 60000).toISOString() });
      }
      case `POST /api/v1/channels/${channel.slug}/reports`: {
        const r = body as SubmitReportRequest;
        if (channel.pow.difficulty > 0) {
          if (r.pow === undefined || !powChallenges.delete(r.pow.challenge) || !verifyPow(r.pow.challenge, channel.pow.difficulty, r.pow.nonce)) return await fail(428, 'pow_required');
        }
        if (!isEnvelope(r.report, REPORT_BLOCK) || !isSealedKey(r.reporterWrap) || !r.wraps.every((w) => isSealedKey(w.wrap))) return await fail(400, 'bad_request');
        cases.set(r.caseId, { request: r, mailboxId: r.mailboxId, signPublicKey: r.reporterSignPublicKey, reporterWrap: r.reporterWrap, messages: [], relays: [] });
        return await answer(201, { caseId: r.caseId, receivedAt: '2025-03-01T10:00:00.000Z', acknowledgeBy: '2025-03-08T10:00:00.000Z' });
      }
      case 'POST /api/v1/mailbox/challenge': {
        const challenge = toBase64url(sodium().randombytes_buf(32));
        challenges.set(challenge, (body as MailboxChallengeRequest).mailboxId);
        return await answer(200, { challenge });
      }
      case 'POST /api/v1/mailbox/session': {
        const login = body as MailboxSessionRequest;
        const mailboxId = challenges.get(login.challenge);
        challenges.delete(login.challenge);
        const found = [...cases.values()].find((c) => c.mailboxId === login.mailboxId);
        if (mailboxId !== login.mailboxId || found === undefined ||
          !verifyMailboxLogin(fromBase64url(login.challenge), fromBase64url(login.signature), fromBase64url(found.signPublicKey))) {
          return await fail(401, 'unauthorized');
        }
        const newToken = toBase64url(sodium().randombytes_buf(32));
        sessions.set(newToken, found.request.caseId);
        return await answer(200, { token: newToken, expiresAt: new Date(Date.now() + 600000).toISOString() });
      }
      case 'GET /api/v1/mailbox': {
        const c = caseOf();
        if (c === undefined) return await fail(401, 'unauthorized');
        const view: MailboxView = {
          caseId: c.request.caseId,
          status: 'received',
          receivedAt: '2025-03-01T10:00:00.000Z',
          acknowledgedAt: null,
          feedbackBy: '2025-06-08T10:00:00.000Z',
          feedbackGivenAt: null,
          reporterWrap: c.reporterWrap,
          report: c.request.report,
          messages: c.messages,
          relays: c.relays,
          files: [],
          commitment: c.request.commitment ?? null,
          readers: []
        };
        return await answer(200, view);
      }
      case 'POST /api/v1/mailbox/messages': {
        const c = caseOf();
        if (c === undefined) return await fail(401, 'unauthorized');
        if (!isEnvelope(body, MESSAGE_BLOCK)) return await fail(400, 'bad_request');
        const message = { id: `m${c.messages.length + 1}`, author: 'reporter' as const, sentAt: new Date().toISOString(), feedback: false, nonce: body.nonce, ciphertext: body.ciphertext };
        c.messages.push(message);
        return await answer(201, { id: message.id, sentAt: message.sentAt });
      }
      case 'POST /api/v1/mailbox/relays/relay-1/consent': {
        const c = caseOf();
        const relay = c?.relays.find((r) => r.relayId === 'relay-1');
        if (relay === undefined) return await fail(404, 'not_found');
        relay.state = (body as ConsentRequest).decision === 'approve' ? 'approved' : 'declined';
        return await answer(200, {});
      }
      case 'POST /api/v1/mailbox/rotate': {
        const c = caseOf();
        if (c === undefined) return await fail(401, 'unauthorized');
        const rotate = body as RotateMailboxRequest;
        // The proof must come from the current code's key, over the new id and key.
        if (!verifyMailboxRotate(fromBase64url(rotate.mailboxId), fromBase64url(rotate.reporterSignPublicKey), fromBase64url(rotate.proof), fromBase64url(c.signPublicKey))) {
          return await fail(401, 'rotation_proof_wrong');
        }
        c.mailboxId = rotate.mailboxId;
        c.signPublicKey = rotate.reporterSignPublicKey;
        c.reporterWrap = rotate.reporterWrap;
        if (c.request.commitment && rotate.commitmentSignature) c.request.commitment = { ...c.request.commitment, signature: rotate.commitmentSignature };
        return await answer(200, {});
      }
      case 'DELETE /api/v1/mailbox/session':
        if (token !== undefined) sessions.delete(token);
        return await answer(204);
      default:
        return await fail(404, 'not_found');
    }
  };
  return { fetch, cases, requests };
}

let advisers: StaffKeys[];
let channel: ChannelInfo;

t.before(async () => {
  await ready();
  advisers = [makeStaffKeys(), makeStaffKeys()];
  channel = {
    slug: 'acme',
    name: 'Acme',
    advisers: advisers.map((a, i) => ({ keyId: `k${i}`, name: `Adviser ${i}`, boxPublicKey: toBase64url(a.boxPublicKey), signPublicKey: toBase64url(a.signPublicKey) })),
    consentRequired: true,
    pow: { difficulty: 8 },
    maxFileBytes: 1000000
  };
});

const report: ReportPlaintext = { v: 1, lang: 'nl', answers: { what: 'Voorbeeldmelding' }, anonymity: 'anonymous' };

t.test('submit, open, write, consent, rotate, close', async (t) => {
  const server = fakeServer(channel);
  const client = new ConfidantClient({ baseUrl: 'https://confidant.test/', fetch: server.fetch });

  const submitted = await submitNewReport(client, { slug: 'acme', report, adviserKeyIds: ['k1'] });
  t.match(submitted.code, /^([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}$/);
  t.equal(submitted.acknowledgeBy, '2025-03-08T10:00:00.000Z');
  for (const r of server.requests) {
    t.equal(r.init.credentials, 'omit');
    t.equal(r.init.cache, 'no-store');
  }
  const stored = server.cases.get(submitted.caseId);
  if (stored === undefined) throw new Error('not stored');
  t.equal(fromBase64url(stored.request.caseId).length, 16);
  t.same(stored.request.wraps.map((w) => w.keyId), ['k1'], 'only the chosen adviser');
  t.ok(stored.request.pow, 'proof of work attached');

  // The chosen adviser opens the report with their key.
  const adviser = advisers[1];
  if (adviser === undefined) throw new Error('no adviser');
  const caseKey = unsealKey(stored.request.wraps[0]?.wrap ?? '', adviser.boxPublicKey, adviser.boxSecretKey);
  t.same(decryptRecord(caseKey, stored.request.report, reportAd(submitted.caseId), REPORT_BLOCK), report);

  // The adviser writes a message and a relay copy; one message is forged by the server.
  const adviserMessage = encryptRecord(caseKey, { v: 1, body: 'Dank u', sentAt: '2025-03-02T09:00:00.000Z' }, messageAd(submitted.caseId, 'adviser'), MESSAGE_BLOCK);
  stored.messages.push({ id: 'a1', author: 'adviser', sentAt: '2025-03-02T09:00:01.000Z', feedback: true, ...adviserMessage });
  stored.messages.push({ id: 'a2', author: 'reporter', sentAt: '2025-03-02T09:00:02.000Z', feedback: true, ...adviserMessage });
  const copy: Envelope = encryptRecord(caseKey, { v: 1, body: 'relay text' }, relayCopyAd(submitted.caseId, 'relay-1'), MESSAGE_BLOCK);
  stored.relays.push({ relayId: 'relay-1', state: 'awaiting_consent', copy, attachments: [] });

  const typed = submitted.code.toLowerCase().replace(/-/g, ' ');
  const mailbox = await openMailbox(client, typed);
  t.equal(mailbox.caseId, submitted.caseId);
  t.same(mailbox.view.report, report);
  t.match(mailbox.view.messages, [
    { ok: true, id: 'a1', author: 'adviser', feedback: true, message: { v: 1, body: 'Dank u' } },
    { ok: false, id: 'a2', author: 'reporter', feedback: false, error: 'decrypt_failed' }
  ], 'a message under another author does not open, and only an adviser\'s message can be the feedback');
  t.match(mailbox.view.relays, [{ ok: true, relayId: 'relay-1', state: 'awaiting_consent', copy: { v: 1, body: 'relay text' } }]);

  // The reporter's own code pasted into a message is refused before anything is sent.
  await t.rejects(mailbox.postMessage(`Voor de zekerheid mijn code: ${submitted.code}`), { name: 'ProtocolError', code: 'code_in_text' });
  t.equal(stored.messages.length, 2, 'a message with the code was not sent');
  const posted = await mailbox.postMessage('Graag gedaan');
  t.equal(posted.id, 'm3');
  const refreshed = await mailbox.refresh();
  t.match(refreshed.messages[2], { ok: true, author: 'reporter', message: { v: 1, body: 'Graag gedaan' } });

  await mailbox.consent('relay-1', 'approve');
  t.equal(stored.relays[0]?.state, 'approved');

  const newCode = await mailbox.rotate();
  t.not(newCode, submitted.code);
  await mailbox.close();
  await t.rejects(mailbox.postMessage('after close'), { name: 'ProtocolError', code: 'session_closed' });

  await t.rejects(openMailbox(client, submitted.code), ApiError, 'the old code stops working');
  const again = await openMailbox(client, newCode);
  t.same(again.view.report, report, 'the new code opens the same case');
  t.equal(again.view.messages.length, 3);
  await again.close();
});

t.test('errors before and from the network', async (t) => {
  const server = fakeServer(channel);
  const client = new ConfidantClient({ baseUrl: 'https://confidant.test', fetch: server.fetch });
  await t.rejects(openMailbox(client, 'K7Q4-M2XD-9PTR-H6WA-3FZN-0KYX'), { name: 'ProtocolError', code: 'wrong_check' });
  await t.rejects(openMailbox(client, 'K7Q4-M2XD'), { name: 'ProtocolError', code: 'wrong_length' });
  t.equal(server.requests.length, 0, 'a typing error makes no request');

  await t.rejects(openMailbox(client, 'K7Q4-M2XD-9PTR-H6WA-3FZN-1KYX'), { name: 'ApiError', status: 401, code: 'unauthorized', message: 'unauthorized' });
  await t.rejects(client.getChannel('nope'), { name: 'ApiError', status: 404, code: 'not_found' });
  await t.rejects(submitNewReport(client, { slug: 'acme', report, adviserKeyIds: ['k9'] }), { name: 'ProtocolError', code: 'unknown_adviser' });
  await t.rejects(submitNewReport(client, { slug: 'acme', report, adviserKeyIds: [] }), { name: 'ProtocolError', code: 'no_advisers' });
  await t.rejects(submitNewReport(client, { slug: 'acme', report: { ...report, identity: { name: 'X' } } }), { name: 'ProtocolError', code: 'bad_report' },
    'an anonymous report carries no identity');

  const plain: FetchLike = async () => ({ ok: false, status: 503, statusText: 'Service Unavailable', text: async () => '<html>' });
  await t.rejects(new ConfidantClient({ baseUrl: '', fetch: plain }).getPow(), { name: 'ApiError', status: 503, code: 'http_503', message: 'Service Unavailable' });
});
