/**
 * The typed client for the reporter routes of protocol-v1 §6: one method a route, no
 * cryptography (see reporter.ts for the flows). Any non-2xx answer throws ApiError.
 */
import { ApiError } from './errors.js';
import type {
  ChannelInfo, ConsentDecision, Envelope, MailboxChallengeResponse, MailboxSessionRequest,
  MailboxSessionResponse, MailboxView, PostMessageResponse, PowChallenge, RotateMailboxRequest,
  ConsentRequest, SubmitReportRequest, SubmitReportResponse, AcceptInviteRequest, AcceptInviteResponse, LoginRequest, LoginResponse,
  KdfParams, TotpStartRequest, TotpStartResponse, PassphraseChangeRequest, RecoveryChallengeResponse, RecoveryRequest, CaseList, CaseListQuery,
  CaseDetail, CaseStatus, StatusChangeResponse, KeyWrap, RelayRecipients, CreateRelayRequest, RelayState, RelaySummary,
  RelayDetail
} from './wire.js';

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

export class ConfidantClient {
  readonly baseUrl: string;
  readonly #fetch: FetchLike;

  constructor({ baseUrl, fetch }: ConfidantClientOptions) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetch ?? globalFetch();
  }

  /**
   * One request. The answer is trusted to have the route's shape (the server is trusted for
   * shapes, not content): bytes in it are still checked where they are decoded.
   */
  async #request<T>(method: string, path: string, options: { body?: unknown; token?: string } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const init: FetchInit = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const response = await this.#fetch(this.baseUrl + path, init);
    const text = await response.text();
    if (!response.ok) throw parseErrorBody(response.status, response.statusText, text);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, 'bad_response', 'the answer is not JSON');
    }
  }

  getChannel(slug: string): Promise<ChannelInfo> {
    return this.#request('GET', `/api/v1/channels/${encodeURIComponent(slug)}`);
  }

  /** A proof-of-work challenge at the difficulty of `channel` (the instance default without it). */
  getPow(channel?: string): Promise<PowChallenge> {
    return this.#request('GET', `/api/v1/pow${channel === undefined ? '' : `?channel=${encodeURIComponent(channel)}`}`);
  }

  submitReport(slug: string, body: SubmitReportRequest): Promise<SubmitReportResponse> {
    return this.#request('POST', `/api/v1/channels/${encodeURIComponent(slug)}/reports`, { body });
  }

  mailboxChallenge(mailboxId: string): Promise<MailboxChallengeResponse> {
    return this.#request('POST', '/api/v1/mailbox/challenge', { body: { mailboxId } });
  }

  openMailboxSession(body: MailboxSessionRequest): Promise<MailboxSessionResponse> {
    return this.#request('POST', '/api/v1/mailbox/session', { body });
  }

  getMailbox(token: string): Promise<MailboxView> {
    return this.#request('GET', '/api/v1/mailbox', { token });
  }

  postMailboxMessage(token: string, envelope: Envelope): Promise<PostMessageResponse> {
    return this.#request('POST', '/api/v1/mailbox/messages', { token, body: { nonce: envelope.nonce, ciphertext: envelope.ciphertext } });
  }

  /** `approval` (an extension) is the reporter's hash of the approved copy; see relay-approval.ts. */
  async consentRelay(token: string, relayId: string, decision: ConsentDecision, approval?: string): Promise<void> {
    const body: ConsentRequest = approval === undefined ? { decision } : { decision, approval };
    await this.#request('POST', `/api/v1/mailbox/relays/${encodeURIComponent(relayId)}/consent`, { token, body });
  }

  async rotateMailbox(token: string, body: RotateMailboxRequest): Promise<void> {
    await this.#request('POST', '/api/v1/mailbox/rotate', { token, body });
  }

  async closeMailboxSession(token: string): Promise<void> {
    await this.#request('DELETE', '/api/v1/mailbox/session', { token });
  }

  // Staff accounts (§3, §6 staff side).

  acceptInvite(body: AcceptInviteRequest): Promise<AcceptInviteResponse> {
    return this.#request('POST', '/api/v1/invites/accept', { body });
  }

  joinChannel(token: string, inviteToken: string): Promise<{ channel: string }> {
    return this.#request('POST', '/api/v1/invites/join', { token, body: { token: inviteToken } });
  }

  async prelogin(username: string): Promise<KdfParams> {
    return (await this.#request<{ kdf: KdfParams }>('POST', '/api/v1/auth/prelogin', { body: { username } })).kdf;
  }

  login(body: LoginRequest): Promise<LoginResponse> {
    return this.#request('POST', '/api/v1/auth/login', { body });
  }

  async logout(token: string): Promise<void> {
    await this.#request('POST', '/api/v1/auth/logout', { token });
  }

  startTotp(token: string, body: TotpStartRequest): Promise<TotpStartResponse> {
    return this.#request('POST', '/api/v1/auth/totp', { token, body });
  }

  async confirmTotp(token: string, code: string): Promise<void> {
    await this.#request('POST', '/api/v1/auth/totp/confirm', { token, body: { code } });
  }

  async changePassphrase(token: string, body: PassphraseChangeRequest): Promise<void> {
    await this.#request('POST', '/api/v1/auth/passphrase', { token, body });
  }

  recoveryChallenge(username: string): Promise<RecoveryChallengeResponse> {
    return this.#request('POST', '/api/v1/auth/recovery/challenge', { body: { username } });
  }

  async recover(body: RecoveryRequest): Promise<void> {
    await this.#request('POST', '/api/v1/auth/recovery', { body });
  }

  // Cases (adviser).

  listCases(token: string, query: CaseListQuery = {}): Promise<CaseList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return this.#request('GET', `/api/v1/cases${search ? `?${search}` : ''}`, { token });
  }

  getCase(token: string, caseId: string): Promise<CaseDetail> {
    return this.#request('GET', `/api/v1/cases/${encodeURIComponent(caseId)}`, { token });
  }

  postCaseMessage(token: string, caseId: string, envelope: Envelope): Promise<PostMessageResponse> {
    return this.#request('POST', `/api/v1/cases/${encodeURIComponent(caseId)}/messages`, { token, body: envelope });
  }

  setCaseStatus(token: string, caseId: string, status: CaseStatus): Promise<StatusChangeResponse> {
    return this.#request('PATCH', `/api/v1/cases/${encodeURIComponent(caseId)}`, { token, body: { status } });
  }

  putRegistration(token: string, caseId: string, envelope: Envelope): Promise<{ updatedAt: string }> {
    return this.#request('PUT', `/api/v1/cases/${encodeURIComponent(caseId)}/registration`, { token, body: envelope });
  }

  grantCase(token: string, caseId: string, grant: KeyWrap): Promise<{ keyId: string }> {
    return this.#request('POST', `/api/v1/cases/${encodeURIComponent(caseId)}/grants`, { token, body: grant });
  }

  /** Extension: stores this adviser's signed pin of the case key (once; 409 pin_exists after). */
  pinCase(token: string, caseId: string, pin: string): Promise<void> {
    return this.#request('PUT', `/api/v1/cases/${encodeURIComponent(caseId)}/pin`, { token, body: { pin } });
  }

  // Relays (§5).

  relayRecipients(token: string, caseId: string): Promise<RelayRecipients> {
    return this.#request('GET', `/api/v1/cases/${encodeURIComponent(caseId)}/relay-recipients`, { token });
  }

  createRelay(token: string, caseId: string, body: CreateRelayRequest): Promise<{ relayId: string; state: RelayState }> {
    return this.#request('POST', `/api/v1/cases/${encodeURIComponent(caseId)}/relays`, { token, body });
  }

  sendRelay(token: string, relayId: string): Promise<{ relayId: string; state: RelayState; sentAt: string }> {
    return this.#request('POST', `/api/v1/relays/${encodeURIComponent(relayId)}/send`, { token });
  }

  listRelays(token: string, query: { before?: string; limit?: number } = {}): Promise<{ relays: RelaySummary[]; next: string | null }> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return this.#request('GET', `/api/v1/relays${search ? `?${search}` : ''}`, { token });
  }

  getRelay(token: string, relayId: string): Promise<RelayDetail> {
    return this.#request('GET', `/api/v1/relays/${encodeURIComponent(relayId)}`, { token });
  }

  postRelayMessage(token: string, relayId: string, envelope: Envelope): Promise<PostMessageResponse> {
    return this.#request('POST', `/api/v1/relays/${encodeURIComponent(relayId)}/messages`, { token, body: envelope });
  }
}
