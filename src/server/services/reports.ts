/**
 * Report submission (protocol-v1 §4, §6): one transaction that stores the case, the
 * encrypted report and the wraps. The server checks shapes and who may receive a wrap;
 * it never sees the report or the case key.
 */
import type { Database } from '../db/connection.js';
import { sql } from 'drizzle-orm';
import { fromBase64url, type CaseCommitment } from '../../protocol/index.js';
import { verifyCaseCommitmentSignature } from '../../protocol/checks.js';
import { isUniqueViolation } from '../db/errors.js';
import { invalid, conflict } from '../errors.js';
import type { Channels, PublicChannel } from './channels.js';
import { activityCtes } from './notifications.js';
import { toHour } from './coarse-time.js';
import { acknowledgeBy } from '../../protocol/index.js';
import { powReused, type ProofOfWork, type SpentChallenge } from './proof-of-work.js';

export interface NewCase {
  caseId: string;
  mailboxId: string;
  reporterSignPublicKey: Uint8Array;
  reporterBoxPublicKey: Uint8Array;
  wraps: Array<{ keyId: string; wrap: Uint8Array }>;
  reporterWrap: Uint8Array;
  report: { nonce: Uint8Array; ciphertext: Uint8Array };
  pow?: { challenge: string; nonce: number } | undefined;
  /** Absent from v1 clients; checked against the wraps and the channel before it is stored. */
  commitment?: CaseCommitment | undefined;
}

/**
 * A commitment must be signed by the case's reporter key, name exactly the advisers the report
 * is wrapped for, and leave out only other advisers of the channel. The clients check the
 * signature again; checking here keeps a malformed one from ever being stored.
 */
function checkCommitment(input: NewCase, channelAdvisers: Set<string>): void {
  const { commitment } = input;
  if (commitment === undefined) return;
  if (!verifyCaseCommitmentSignature(input.caseId, commitment, input.reporterSignPublicKey)) {
    throw invalid('invalid_commitment', "The commitment's signature does not verify with the reporter's signing key.");
  }
  const wrapped = new Set(input.wraps.map((w) => w.keyId));
  if (commitment.chosen.length !== wrapped.size || commitment.chosen.some((k) => !wrapped.has(k))) {
    throw invalid('invalid_commitment', 'The commitment must name exactly the advisers the report is wrapped for.');
  }
  if (commitment.excluded.some((k) => wrapped.has(k) || !channelAdvisers.has(k))) {
    throw invalid('invalid_commitment', 'The commitment may leave out only other advisers of this channel.');
  }
}

const joinIds = (ids: string[]) => [...ids].sort().join(',');

/** The wraps are for advisers of the channel, each once, at least one; the commitment names them. */
function checkWraps(input: NewCase, channel: PublicChannel): void {
  const advisers = new Set(channel.advisers.map((a) => a.keyId));
  const seen = new Set<string>();
  for (const [index, { keyId }] of input.wraps.entries()) {
    if (!advisers.has(keyId)) throw invalid('invalid_wraps', `Wrap ${index + 1} is not for an adviser of this channel.`);
    if (seen.has(keyId)) throw invalid('invalid_wraps', `Wrap ${index + 1} is for an adviser who has a wrap already.`);
    seen.add(keyId);
  }
  if (input.wraps.length === 0) throw invalid('invalid_wraps', 'A report needs a wrap for at least one adviser of the channel.');
  checkCommitment(input, advisers);
}

export interface Submitted {
  caseId: string;
  receivedAt: Date;
  acknowledgeBy: Date;
}

/**
 * The case, its wraps, its reporter event and (with proof of work) the spent challenge in ONE
 * statement: atomic like a transaction, but a single round trip on the hot path. When the
 * challenge was spent before, nothing is inserted and false comes back. `hour` is the whole
 * hour of receipt: no finer time of a submission is kept.
 */
async function insertCase(db: Database, channelId: string, input: NewCase, spent: SpentChallenge | null, hour: Date): Promise<boolean> {
  const c = input.commitment;
  const wrapRows = sql.join(
    input.wraps.map((w) => sql`(${w.keyId}::text, ${w.wrap}::bytea)`),
    sql`, `,
  );
  // Every wrap is for an enabled adviser of the channel as the statement runs, not as the recent
  // copy of the channel said: an operator may have removed or disabled one since.
  const advisersNow = sql`not exists (
    select 1 from (values ${wrapRows}) as m (account_id, wrap)
    where not exists (
      select 1 from adviser_channels ac join staff_accounts a on a.id = ac.account_id
      where ac.channel_id = ${channelId}::text and ac.account_id = m.account_id and a.disabled_at is null))`;
  // Parameters in a SELECT list have no type of their own: each is cast to its column's type.
  const gate = spent
    ? sql`spent as (insert into spent_pow_challenges (challenge_hash, expires_at) select ${spent.challengeHash}::bytea, ${spent.expiresAt}::timestamptz where ${advisersNow} on conflict do nothing returning 1),`
    : sql``;
  const onlyIf = spent ? sql`where exists (select 1 from spent)` : sql`where ${advisersNow}`;
  const result = await db.execute(sql`
    with ${gate}
    new_case as (
      insert into cases (id, channel_id, mailbox_id, reporter_sign_public_key, reporter_box_public_key, reporter_wrap,
                         report_nonce, report_ciphertext, commitment_key, commitment_signature, commitment_chosen,
                         commitment_excluded, received_at)
      select ${input.caseId}::text, ${channelId}::text, ${input.mailboxId}::text, ${input.reporterSignPublicKey}::bytea,
             ${input.reporterBoxPublicKey}::bytea, ${input.reporterWrap}::bytea, ${input.report.nonce}::bytea,
             ${input.report.ciphertext}::bytea, ${c ? fromBase64url(c.key) : null}::bytea, ${c ? fromBase64url(c.signature) : null}::bytea,
             ${c ? joinIds(c.chosen) : null}::text, ${c ? joinIds(c.excluded) : null}::text, ${hour}::timestamptz
      ${onlyIf}
      returning id
    ),
    new_wraps as (
      insert into case_wraps (case_id, account_id, wrap, created_at)
      select new_case.id, w.account_id, w.wrap, ${hour}::timestamptz from new_case, (values ${wrapRows}) as w (account_id, wrap)
    ),
    ${activityCtes(sql`select w.account_id from new_case, (values ${wrapRows}) as w (account_id, wrap)`, { id: channelId, kind: 'channel' }, hour)}
    insert into reporter_events (hour, action, case_id)
    select ${hour}::timestamptz, 'submitted', id from new_case
    returning case_id`);
  return (result as unknown as { rows: unknown[] }).rows.length === 1;
}

/** How long a channel and its advisers may be reused for checking submissions. */
const CHANNEL_REUSE_MS = 2000;

export function createReports(db: Database, channels: Channels, pow: ProofOfWork) {
  // The channel lookup is half the database work of a submission; under load, reports to one
  // channel reuse it for two seconds. It only checks who may receive wraps: an adviser added
  // since is found by the fresh lookup below, and one removed or disabled since is caught by the
  // insert itself, which checks the channel's advisers as it runs.
  const recent = new Map<string, { channel: PublicChannel; until: number }>();
  async function freshChannel(slug: string, now: Date): Promise<PublicChannel> {
    const channel = await channels.bySlug(slug);
    if (recent.size > 1000) recent.clear();
    recent.set(slug, { channel, until: now.getTime() + CHANNEL_REUSE_MS });
    return channel;
  }
  async function recentChannel(slug: string, now: Date): Promise<PublicChannel> {
    const hit = recent.get(slug);
    return hit && hit.until > now.getTime() ? hit.channel : freshChannel(slug, now);
  }

  return {
    async submit(slug: string, input: NewCase, now = new Date()): Promise<Submitted> {
      let channel = await recentChannel(slug, now);
      // A wrap for someone the recent copy does not know: ask the database before refusing.
      const named = [...input.wraps.map((w) => w.keyId), ...(input.commitment?.excluded ?? [])];
      if (named.some((keyId) => !channel.advisers.some((a) => a.keyId === keyId))) channel = await freshChannel(slug, now);
      checkWraps(input, channel);

      const spent = pow.verify(input.pow, channel.powDifficulty, now);
      let stored: boolean;
      try {
        stored = await insertCase(db, channel.id, input, spent, toHour(now));
      } catch (error) {
        if (isUniqueViolation(error, 'mailbox_id')) throw conflict('mailbox_exists', 'This mailbox id is taken: make a new code.');
        if (isUniqueViolation(error, 'pkey')) throw conflict('case_exists', 'A case with this id exists already: make a new case id.');
        throw error;
      }
      if (!stored) {
        // Nothing stored: an adviser left the channel since the recent copy (the wraps are checked
        // again against a fresh one), or the proof of work was spent before.
        checkWraps(input, await freshChannel(slug, now));
        throw powReused();
      }
      // From the floored receipt, the deadline falls up to 59 minutes early: on the safe side.
      const receivedAt = toHour(now);
      return { caseId: input.caseId, receivedAt, acknowledgeBy: acknowledgeBy(receivedAt) };
    },
  };
}

export type Reports = ReturnType<typeof createReports>;
