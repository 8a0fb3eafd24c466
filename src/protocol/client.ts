/**
 * The typed client of the HTTP API: one method an operation of the contract
 * (src/protocol/contract), no cryptography (see reporter.ts and staff.ts for the flows). Each
 * method names its operation, method and path; the compiler holds them to the contract's
 * literal types, and the answers and bodies are the contract's types. Only types are imported,
 * so the web bundle carries no schema library. Any non-2xx answer throws ApiError.
 */
import type * as api from './contract/index.js';
import type { AnswerOf, CaseListQuery, NewFileRequest, CaseMessageRequest, CaseStatus, CreateAnnualReportRequest, RegistrationListQuery, ConsentDecision, Envelope, KeyWrap, NotificationSettings, Operation, RequestOf } from './contract/index.js';
import { ApiError } from './errors.js';

/** The part of a fetch Response the client reads. */
export interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  text(): Promise<string>;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  credentials: 'omit';
  cache: 'no-store';
  referrerPolicy: 'no-referrer';
}

/** The part of `fetch` the client needs; the global fetch (browser, Node) fits. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface ConfidantClientOptions {
  /** Where the API lives: `''` for the same origin in a browser, or `https://host`. */
  baseUrl: string;
  fetch?: FetchLike;
}

function globalFetch(): FetchLike {
  // Typed structurally so this module needs neither the DOM lib nor @types/node.
  const f = (globalThis as { fetch?: FetchLike }).fetch;
  if (f === undefined) throw new TypeError('no global fetch: pass one to ConfidantClient');
  return f.bind(globalThis);
}

function parseErrorBody(status: number, statusText: string, text: string): ApiError {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null) {
      const { error, message } = body as Record<string, unknown>;
      if (typeof error === 'string') {
        return new ApiError(status, error, typeof message === 'string' ? message : error);
      }
    }
  } catch {}
  return new ApiError(status, `http_${status}`, statusText === '' ? `HTTP ${status}` : statusText);
}

/** The contract's operations by name (= operationId = the client's method name). */
type Operations = { [K in keyof typeof api as (typeof api)[K] extends Operation ? K : never]: (typeof api)[K] };
type Name = keyof Operations;
type Answer<N extends Name> = AnswerOf<Operations[N]>;
type Body<N extends Name> = RequestOf<Operations[N]>;

interface CallOptions<N extends Name> {
  /** Values of the path's `:name` parameters. */
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: Body<N>;
  token?: string;
}

/** `/api/v1/cases/:caseId` with its parameters filled in, and the query string. */
function pathOf(url: string, params: Record<string, string> = {}, query: Record<string, string | number | undefined> = {}): string {
  const path = url.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

export class ConfidantClient {
  readonly baseUrl: string;
  readonly #fetch: FetchLike;

  constructor({ baseUrl, fetch }: ConfidantClientOptions) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetch ?? globalFetch();
  }

  /**
   * One operation. `name` ties method and url to the contract at compile time. The answer is
   * trusted to have the route's shape (the server is trusted for shapes, not content): bytes in
   * it are still checked where they are decoded.
   */
  async #call<N extends Name>(
    _name: N,
    method: Operations[N]['method'],
    url: Operations[N]['url'],
    options: CallOptions<N> = {},
  ): Promise<Answer<N>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const init: FetchInit = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const response = await this.#fetch(this.baseUrl + pathOf(url, options.params, options.query), init);
    const text = await response.text();
    if (!response.ok) throw parseErrorBody(response.status, response.statusText, text);
    if (text === '') return undefined as Answer<N>;
    try {
      return JSON.parse(text) as Answer<N>;
    } catch {
      throw new ApiError(response.status, 'bad_response', 'the answer is not JSON');
    }
  }

  getChannel(slug: string): Promise<Answer<'getChannel'>> {
    return this.#call('getChannel', 'GET', '/api/v1/channels/:slug', { params: { slug } });
  }

  /** A proof-of-work challenge at the difficulty of `channel` (the instance default without it). */
  getPow(channel?: string): Promise<Answer<'getPow'>> {
    return this.#call('getPow', 'GET', '/api/v1/pow', { query: { channel } });
  }

  submitReport(slug: string, body: Body<'submitReport'>): Promise<Answer<'submitReport'>> {
    return this.#call('submitReport', 'POST', '/api/v1/channels/:slug/reports', { params: { slug }, body });
  }

  mailboxChallenge(mailboxId: string): Promise<Answer<'mailboxChallenge'>> {
    return this.#call('mailboxChallenge', 'POST', '/api/v1/mailbox/challenge', { body: { mailboxId } });
  }

  openMailboxSession(body: Body<'openMailboxSession'>): Promise<Answer<'openMailboxSession'>> {
    return this.#call('openMailboxSession', 'POST', '/api/v1/mailbox/session', { body });
  }

  getMailbox(token: string): Promise<Answer<'getMailbox'>> {
    return this.#call('getMailbox', 'GET', '/api/v1/mailbox', { token });
  }

  postMailboxMessage(token: string, envelope: Envelope): Promise<Answer<'postMailboxMessage'>> {
    const body = { nonce: envelope.nonce, ciphertext: envelope.ciphertext };
    return this.#call('postMailboxMessage', 'POST', '/api/v1/mailbox/messages', { token, body });
  }

  /** Makes a file of the reporter's case; its body then goes over tus to the answer's uploadUrl. */
  createMailboxFile(token: string, file: NewFileRequest): Promise<Answer<'createMailboxFile'>> {
    return this.#call('createMailboxFile', 'POST', '/api/v1/mailbox/files', { token, body: file });
  }

  /** `approval` (an extension) is the reporter's hash of the approved copy; see relay-approval.ts. */
  async consentRelay(token: string, relayId: string, decision: ConsentDecision, approval?: string): Promise<void> {
    const body: Body<'consentRelay'> = approval === undefined ? { decision } : { decision, approval };
    await this.#call('consentRelay', 'POST', '/api/v1/mailbox/relays/:relayId/consent', { token, params: { relayId }, body });
  }

  rotateMailbox(token: string, body: Body<'rotateMailbox'>): Promise<Answer<'rotateMailbox'>> {
    return this.#call('rotateMailbox', 'POST', '/api/v1/mailbox/rotate', { token, body });
  }

  closeMailboxSession(token: string): Promise<Answer<'closeMailboxSession'>> {
    return this.#call('closeMailboxSession', 'DELETE', '/api/v1/mailbox/session', { token });
  }

  // Staff accounts (§3, §6 staff side).

  acceptInvite(body: Body<'acceptInvite'>): Promise<Answer<'acceptInvite'>> {
    return this.#call('acceptInvite', 'POST', '/api/v1/invites/accept', { body });
  }

  joinChannel(token: string, inviteToken: string): Promise<Answer<'joinChannel'>> {
    return this.#call('joinChannel', 'POST', '/api/v1/invites/join', { token, body: { token: inviteToken } });
  }

  async prelogin(username: string): Promise<Answer<'prelogin'>['kdf']> {
    return (await this.#call('prelogin', 'POST', '/api/v1/auth/prelogin', { body: { username } })).kdf;
  }

  login(body: Body<'login'>): Promise<Answer<'login'>> {
    return this.#call('login', 'POST', '/api/v1/auth/login', { body });
  }

  logout(token: string): Promise<Answer<'logout'>> {
    return this.#call('logout', 'POST', '/api/v1/auth/logout', { token });
  }

  resumeKey(token: string): Promise<Answer<'resumeKey'>> {
    return this.#call('resumeKey', 'GET', '/api/v1/auth/resume-key', { token });
  }

  startTotp(token: string, body: Body<'startTotp'>): Promise<Answer<'startTotp'>> {
    return this.#call('startTotp', 'POST', '/api/v1/auth/totp', { token, body });
  }

  confirmTotp(token: string, code: string): Promise<Answer<'confirmTotp'>> {
    return this.#call('confirmTotp', 'POST', '/api/v1/auth/totp/confirm', { token, body: { code } });
  }

  changePassphrase(token: string, body: Body<'changePassphrase'>): Promise<Answer<'changePassphrase'>> {
    return this.#call('changePassphrase', 'POST', '/api/v1/auth/passphrase', { token, body });
  }

  recoveryChallenge(username: string): Promise<Answer<'recoveryChallenge'>> {
    return this.#call('recoveryChallenge', 'POST', '/api/v1/auth/recovery/challenge', { body: { username } });
  }

  recover(body: Body<'recover'>): Promise<Answer<'recover'>> {
    return this.#call('recover', 'POST', '/api/v1/auth/recovery', { body });
  }

  // Cases (adviser).

  listCases(token: string, query: CaseListQuery = {}): Promise<Answer<'listCases'>> {
    return this.#call('listCases', 'GET', '/api/v1/cases', { token, query: { ...query } });
  }

  /** Extension: one page of the cases received in a period, with their encrypted registrations. */
  listRegistrations(token: string, query: RegistrationListQuery): Promise<Answer<'listRegistrations'>> {
    return this.#call('listRegistrations', 'GET', '/api/v1/registrations', { token, query: { ...query } });
  }

  /** Extension: where and how this account gets notifications. */
  getNotificationSettings(token: string): Promise<Answer<'getNotificationSettings'>> {
    return this.#call('getNotificationSettings', 'GET', '/api/v1/account/notifications', { token });
  }

  putNotificationSettings(token: string, settings: NotificationSettings): Promise<Answer<'putNotificationSettings'>> {
    return this.#call('putNotificationSettings', 'PUT', '/api/v1/account/notifications', { token, body: settings });
  }

  getCase(token: string, caseId: string): Promise<Answer<'getCase'>> {
    return this.#call('getCase', 'GET', '/api/v1/cases/:caseId', { token, params: { caseId } });
  }

  /** `feedback: true` marks the message as the feedback (docs/protocol.md §7). */
  postCaseMessage(token: string, caseId: string, message: CaseMessageRequest): Promise<Answer<'postCaseMessage'>> {
    return this.#call('postCaseMessage', 'POST', '/api/v1/cases/:caseId/messages', { token, params: { caseId }, body: message });
  }

  /** Makes an adviser's file of the case, for the reporter; its body then goes over tus to the answer's uploadUrl. */
  createCaseFile(token: string, caseId: string, file: NewFileRequest): Promise<Answer<'createCaseFile'>> {
    return this.#call('createCaseFile', 'POST', '/api/v1/cases/:caseId/files', { token, params: { caseId }, body: file });
  }

  setCaseStatus(token: string, caseId: string, status: CaseStatus): Promise<Answer<'setCaseStatus'>> {
    return this.#call('setCaseStatus', 'PATCH', '/api/v1/cases/:caseId', { token, params: { caseId }, body: { status } });
  }

  /** `followUpOn` (extension): the record's earliest open follow-up day, which the inbox shows. */
  putRegistration(token: string, caseId: string, envelope: Envelope, followUpOn: string | null = null): Promise<Answer<'putRegistration'>> {
    return this.#call('putRegistration', 'PUT', '/api/v1/cases/:caseId/registration', { token, params: { caseId }, body: { ...envelope, followUpOn } });
  }

  /** Extension: the legal hold, its reason sealed under the case key (legal-hold.ts). */
  putHold(token: string, caseId: string, reason: Envelope): Promise<Answer<'putHold'>> {
    return this.#call('putHold', 'PUT', '/api/v1/cases/:caseId/hold', { token, params: { caseId }, body: reason });
  }

  deleteHold(token: string, caseId: string): Promise<Answer<'deleteHold'>> {
    return this.#call('deleteHold', 'DELETE', '/api/v1/cases/:caseId/hold', { token, params: { caseId } });
  }

  grantCase(token: string, caseId: string, grant: KeyWrap): Promise<Answer<'grantCase'>> {
    return this.#call('grantCase', 'POST', '/api/v1/cases/:caseId/grants', { token, params: { caseId }, body: grant });
  }

  /** Extension: stores this adviser's signed pin of the case key (once; 409 pin_exists after). */
  pinCase(token: string, caseId: string, pin: string): Promise<Answer<'pinCase'>> {
    return this.#call('pinCase', 'PUT', '/api/v1/cases/:caseId/pin', { token, params: { caseId }, body: { pin } });
  }

  /** Extension: this adviser's sealed copies of case keys it pinned (docs/protocol.md "Case key copies"). */
  putCaseKeyCopies(token: string, copies: Body<'putCaseKeyCopies'>['copies']): Promise<Answer<'putCaseKeyCopies'>> {
    return this.#call('putCaseKeyCopies', 'PUT', '/api/v1/case-key-copies', { token, body: { copies } });
  }

  // Relays (§5).

  /** Extension: who an annual report to this organisation is sealed to. */
  annualReportRecipients(token: string, organisation: string): Promise<Answer<'annualReportRecipients'>> {
    return this.#call('annualReportRecipients', 'GET', '/api/v1/organisations/:organisation/relay-recipients', { token, params: { organisation } });
  }

  /** Extension: sends the adviser's annual report to an organisation, as a relay without a case. */
  createAnnualReport(token: string, organisation: string, body: CreateAnnualReportRequest): Promise<Answer<'createAnnualReport'>> {
    return this.#call('createAnnualReport', 'POST', '/api/v1/organisations/:organisation/annual-reports', { token, params: { organisation }, body });
  }

  relayRecipients(token: string, caseId: string): Promise<Answer<'relayRecipients'>> {
    return this.#call('relayRecipients', 'GET', '/api/v1/cases/:caseId/relay-recipients', { token, params: { caseId } });
  }

  createRelay(token: string, caseId: string, body: Body<'createRelay'>): Promise<Answer<'createRelay'>> {
    return this.#call('createRelay', 'POST', '/api/v1/cases/:caseId/relays', { token, params: { caseId }, body });
  }

  /** Extension: makes an adviser's attachment for a relay of the case; its body then goes over tus to the answer's uploadUrl. */
  createRelayAttachment(token: string, caseId: string, body: Body<'createRelayAttachment'>): Promise<Answer<'createRelayAttachment'>> {
    return this.#call('createRelayAttachment', 'POST', '/api/v1/cases/:caseId/relay-attachments', { token, params: { caseId }, body });
  }

  sendRelay(token: string, relayId: string): Promise<Answer<'sendRelay'>> {
    return this.#call('sendRelay', 'POST', '/api/v1/relays/:relayId/send', { token, params: { relayId } });
  }

  listRelays(token: string, query: { before?: string; limit?: number } = {}): Promise<Answer<'listRelays'>> {
    return this.#call('listRelays', 'GET', '/api/v1/relays', { token, query });
  }

  getRelay(token: string, relayId: string): Promise<Answer<'getRelay'>> {
    return this.#call('getRelay', 'GET', '/api/v1/relays/:relayId', { token, params: { relayId } });
  }

  postRelayMessage(token: string, relayId: string, envelope: Envelope): Promise<Answer<'postRelayMessage'>> {
    return this.#call('postRelayMessage', 'POST', '/api/v1/relays/:relayId/messages', { token, params: { relayId }, body: envelope });
  }

  // The operator's console (extension).

  listOrganisations(token: string): Promise<Answer<'listOrganisations'>> {
    return this.#call('listOrganisations', 'GET', '/api/v1/operator/organisations', { token });
  }

  createOrganisation(token: string, body: Body<'createOrganisation'>): Promise<Answer<'createOrganisation'>> {
    return this.#call('createOrganisation', 'POST', '/api/v1/operator/organisations', { token, body });
  }

  listOperatorChannels(token: string): Promise<Answer<'listOperatorChannels'>> {
    return this.#call('listOperatorChannels', 'GET', '/api/v1/operator/channels', { token });
  }

  createChannel(token: string, body: Body<'createChannel'>): Promise<Answer<'createChannel'>> {
    return this.#call('createChannel', 'POST', '/api/v1/operator/channels', { token, body });
  }

  updateChannel(token: string, slug: string, body: Body<'updateChannel'>): Promise<Answer<'updateChannel'>> {
    return this.#call('updateChannel', 'PATCH', '/api/v1/operator/channels/:slug', { token, params: { slug }, body });
  }

  putChannelLocations(token: string, slug: string, locations: Body<'putChannelLocations'>['locations']): Promise<Answer<'putChannelLocations'>> {
    return this.#call('putChannelLocations', 'PUT', '/api/v1/operator/channels/:slug/locations', { token, params: { slug }, body: { locations } });
  }

  getOperatorAttention(token: string): Promise<Answer<'getOperatorAttention'>> {
    return this.#call('getOperatorAttention', 'GET', '/api/v1/operator/attention', { token });
  }

  listInvites(token: string): Promise<Answer<'listInvites'>> {
    return this.#call('listInvites', 'GET', '/api/v1/operator/invites', { token });
  }

  createInvite(token: string, body: Body<'createInvite'>): Promise<Answer<'createInvite'>> {
    return this.#call('createInvite', 'POST', '/api/v1/operator/invites', { token, body });
  }

  revokeInvite(token: string, inviteId: string): Promise<Answer<'revokeInvite'>> {
    return this.#call('revokeInvite', 'DELETE', '/api/v1/operator/invites/:inviteId', { token, params: { inviteId } });
  }

  listAccounts(token: string): Promise<Answer<'listAccounts'>> {
    return this.#call('listAccounts', 'GET', '/api/v1/operator/accounts', { token });
  }

  disableAccount(token: string, username: string): Promise<Answer<'disableAccount'>> {
    return this.#call('disableAccount', 'POST', '/api/v1/operator/accounts/:username/disable', { token, params: { username } });
  }

  enableAccount(token: string, username: string): Promise<Answer<'enableAccount'>> {
    return this.#call('enableAccount', 'POST', '/api/v1/operator/accounts/:username/enable', { token, params: { username } });
  }

  previewAdviserRemoval(token: string, slug: string, username: string): Promise<Answer<'previewAdviserRemoval'>> {
    return this.#call('previewAdviserRemoval', 'GET', '/api/v1/operator/channels/:slug/advisers/:username', { token, params: { slug, username } });
  }

  /** Removes the adviser if they still hold keys to exactly `cases` cases of the channel (the number the operator confirmed). */
  removeAdviser(token: string, slug: string, username: string, cases: number): Promise<Answer<'removeAdviser'>> {
    return this.#call('removeAdviser', 'DELETE', '/api/v1/operator/channels/:slug/advisers/:username', { token, params: { slug, username }, body: { cases } });
  }
}
