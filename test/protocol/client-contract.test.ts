// The client has one method for every operation of the contract a client calls, and each
// sends the operation's method to its path with the parameters filled in and encoded. The
// compiler already holds the literals to the contract; this checks what goes over the wire.
import t from 'tap';
import { ConfidantClient, type FetchInit } from '../../src/protocol/index.js';
import { operations } from '../../src/protocol/contract/index.js';

interface Sent {
  method: string;
  url: string;
  init: FetchInit;
}

function recordingClient(answer = '{}') {
  const sent: Sent[] = [];
  const client = new ConfidantClient({
    baseUrl: 'https://confidant.example/',
    fetch: async (url, init) => {
      sent.push({ method: init.method, url, init });
      return { ok: true, status: 200, statusText: 'OK', text: async () => answer };
    },
  });
  return { client, sent };
}

const env = { nonce: 'bm9uY2U', ciphertext: 'Y2lwaGVy' };
// A parameter with a slash and a space shows the client encodes it.
const odd = 'a/b c';
const enc = encodeURIComponent(odd);

/** One call of every client method, and the path it must reach. */
const calls: Record<string, [call: (c: ConfidantClient) => Promise<unknown>, path: string]> = {
  getChannel: [(c) => c.getChannel(odd), `/api/v1/channels/${enc}`],
  getPow: [(c) => c.getPow('acme'), '/api/v1/pow?channel=acme'],
  submitReport: [(c) => c.submitReport('acme', {} as never), '/api/v1/channels/acme/reports'],
  mailboxChallenge: [(c) => c.mailboxChallenge('m'), '/api/v1/mailbox/challenge'],
  openMailboxSession: [(c) => c.openMailboxSession({} as never), '/api/v1/mailbox/session'],
  getMailbox: [(c) => c.getMailbox('tok'), '/api/v1/mailbox'],
  postMailboxMessage: [(c) => c.postMailboxMessage('tok', env), '/api/v1/mailbox/messages'],
  consentRelay: [(c) => c.consentRelay('tok', odd, 'approve'), `/api/v1/mailbox/relays/${enc}/consent`],
  rotateMailbox: [(c) => c.rotateMailbox('tok', {} as never), '/api/v1/mailbox/rotate'],
  closeMailboxSession: [(c) => c.closeMailboxSession('tok'), '/api/v1/mailbox/session'],
  acceptInvite: [(c) => c.acceptInvite({} as never), '/api/v1/invites/accept'],
  joinChannel: [(c) => c.joinChannel('tok', 'invite'), '/api/v1/invites/join'],
  prelogin: [(c) => c.prelogin('alice'), '/api/v1/auth/prelogin'],
  login: [(c) => c.login({} as never), '/api/v1/auth/login'],
  logout: [(c) => c.logout('tok'), '/api/v1/auth/logout'],
  resumeKey: [(c) => c.resumeKey('tok'), '/api/v1/auth/resume-key'],
  startTotp: [(c) => c.startTotp('tok', {} as never), '/api/v1/auth/totp'],
  confirmTotp: [(c) => c.confirmTotp('tok', '123456'), '/api/v1/auth/totp/confirm'],
  changePassphrase: [(c) => c.changePassphrase('tok', {} as never), '/api/v1/auth/passphrase'],
  recoveryChallenge: [(c) => c.recoveryChallenge('alice'), '/api/v1/auth/recovery/challenge'],
  recover: [(c) => c.recover({} as never), '/api/v1/auth/recovery'],
  listCases: [(c) => c.listCases('tok', { status: 'closed', limit: 5 }), '/api/v1/cases?status=closed&limit=5'],
  getCase: [(c) => c.getCase('tok', odd), `/api/v1/cases/${enc}`],
  createMailboxFile: [(c) => c.createMailboxFile('tok', {} as never), '/api/v1/mailbox/files'],
  createCaseFile: [(c) => c.createCaseFile('tok', odd, {} as never), `/api/v1/cases/${enc}/files`],
  postCaseMessage: [(c) => c.postCaseMessage('tok', 'c1', env), '/api/v1/cases/c1/messages'],
  setCaseStatus: [(c) => c.setCaseStatus('tok', 'c1', 'closed'), '/api/v1/cases/c1'],
  putRegistration: [(c) => c.putRegistration('tok', 'c1', env), '/api/v1/cases/c1/registration'],
  grantCase: [(c) => c.grantCase('tok', 'c1', { keyId: 'k', wrap: 'dw' }), '/api/v1/cases/c1/grants'],
  pinCase: [(c) => c.pinCase('tok', 'c1', 'pin'), '/api/v1/cases/c1/pin'],
  putHold: [(c) => c.putHold('tok', odd, env), `/api/v1/cases/${enc}/hold`],
  deleteHold: [(c) => c.deleteHold('tok', 'c1'), '/api/v1/cases/c1/hold'],
  getNotificationSettings: [(c) => c.getNotificationSettings('tok'), '/api/v1/account/notifications'],
  putNotificationSettings: [(c) => c.putNotificationSettings('tok', { email: null, immediate: false, lang: 'nl' }), '/api/v1/account/notifications'],
  listRegistrations: [
    (c) => c.listRegistrations('tok', { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', after: 'x' }),
    '/api/v1/registrations?from=2026-01-01T00%3A00%3A00Z&to=2027-01-01T00%3A00%3A00Z&after=x',
  ],
  listOrganisations: [(c) => c.listOrganisations('tok'), '/api/v1/operator/organisations'],
  createOrganisation: [(c) => c.createOrganisation('tok', { slug: 'o', name: 'O' }), '/api/v1/operator/organisations'],
  listOperatorChannels: [(c) => c.listOperatorChannels('tok'), '/api/v1/operator/channels'],
  createChannel: [(c) => c.createChannel('tok', { slug: 'c', name: 'C', organisation: 'o' }), '/api/v1/operator/channels'],
  updateChannel: [(c) => c.updateChannel('tok', odd, { name: 'C' }), `/api/v1/operator/channels/${enc}`],
  putChannelLocations: [(c) => c.putChannelLocations('tok', 'c', []), '/api/v1/operator/channels/c/locations'],
  getOperatorAttention: [(c) => c.getOperatorAttention('tok'), '/api/v1/operator/attention'],
  listInvites: [(c) => c.listInvites('tok'), '/api/v1/operator/invites'],
  createInvite: [(c) => c.createInvite('tok', { role: 'operator' }), '/api/v1/operator/invites'],
  revokeInvite: [(c) => c.revokeInvite('tok', odd), `/api/v1/operator/invites/${enc}`],
  listAccounts: [(c) => c.listAccounts('tok'), '/api/v1/operator/accounts'],
  disableAccount: [(c) => c.disableAccount('tok', 'anna'), '/api/v1/operator/accounts/anna/disable'],
  enableAccount: [(c) => c.enableAccount('tok', 'anna'), '/api/v1/operator/accounts/anna/enable'],
  previewAdviserRemoval: [(c) => c.previewAdviserRemoval('tok', 'c', 'anna'), '/api/v1/operator/channels/c/advisers/anna'],
  removeAdviser: [(c) => c.removeAdviser('tok', 'c', 'anna', 3), '/api/v1/operator/channels/c/advisers/anna'],
  putCaseKeyCopies: [(c) => c.putCaseKeyCopies('tok', [{ caseId: 'c1', keyCopy: env }]), '/api/v1/case-key-copies'],
  annualReportRecipients: [(c) => c.annualReportRecipients('tok', 'acme'), '/api/v1/organisations/acme/relay-recipients'],
  createAnnualReport: [(c) => c.createAnnualReport('tok', 'acme', {} as never), '/api/v1/organisations/acme/annual-reports'],
  relayRecipients: [(c) => c.relayRecipients('tok', 'c1'), '/api/v1/cases/c1/relay-recipients'],
  createRelay: [(c) => c.createRelay('tok', 'c1', {} as never), '/api/v1/cases/c1/relays'],
  createRelayAttachment: [(c) => c.createRelayAttachment('tok', odd, {} as never), `/api/v1/cases/${enc}/relay-attachments`],
  sendRelay: [(c) => c.sendRelay('tok', odd), `/api/v1/relays/${enc}/send`],
  listRelays: [(c) => c.listRelays('tok', { before: 'x', limit: 2 }), '/api/v1/relays?before=x&limit=2'],
  getRelay: [(c) => c.getRelay('tok', 'r1'), '/api/v1/relays/r1'],
  postRelayMessage: [(c) => c.postRelayMessage('tok', 'r1', env), '/api/v1/relays/r1/messages'],
};

t.test('every client operation of the contract has a client method, and no method is outside the contract', async (t) => {
  // Probes are for orchestrators; file bodies travel over tus and streamed reads, not JSON.
  const clientOperations = Object.values(operations).filter((op) => op.tag !== 'operations' && op.tag !== 'files').map((op) => op.operationId).sort();
  t.same(Object.keys(calls).sort(), clientOperations, 'this test calls every one');
  const methods = Object.getOwnPropertyNames(ConfidantClient.prototype).filter((name) => name !== 'constructor').sort();
  t.same(methods, clientOperations, 'the client has exactly these methods');
});

t.test("each method sends its operation's method to its path, with the session and body the operation takes", async (t) => {
  for (const [name, [call, path]] of Object.entries(calls)) {
    const op = operations[name];
    if (!op) {
      t.fail(`${name} is not an operation`);
      continue;
    }
    const { client, sent } = recordingClient(name === 'prelogin' ? '{"kdf":{}}' : '{}');
    await call(client);
    t.equal(sent.length, 1, `${name}: one request`);
    const [request] = sent;
    if (!request) continue;
    t.equal(request.method, op.method, `${name}: ${op.method}`);
    t.equal(request.url, `https://confidant.example${path}`, `${name}: ${path}`);
    const pattern = new RegExp(`^${op.url.replace(/:[A-Za-z]+/g, '[^/?]+')}(\\?.*)?$`);
    t.match(path, pattern, `${name}: the path is an instance of ${op.url}`);
    t.equal('authorization' in request.init.headers, op.auth !== 'none', `${name}: a session ${op.auth === 'none' ? 'is not' : 'is'} sent`);
    t.equal(request.init.body !== undefined, op.body !== undefined, `${name}: a body ${op.body === undefined ? 'is not' : 'is'} sent`);
    t.equal(request.init.credentials, 'omit', `${name}: no cookies`);
  }
});

t.test('an error answer becomes an ApiError with its code; an empty answer is undefined', async (t) => {
  const client = new ConfidantClient({
    baseUrl: '',
    fetch: async () => ({ ok: false, status: 404, statusText: 'Not Found', text: async () => '{"error":"unknown_case","message":"No such case."}' }),
  });
  await t.rejects(client.getCase('tok', 'c1'), { status: 404, code: 'unknown_case' });
  const empty = new ConfidantClient({ baseUrl: '', fetch: async () => ({ ok: true, status: 204, statusText: 'No Content', text: async () => '' }) });
  t.equal(await empty.logout('tok'), undefined);
});
