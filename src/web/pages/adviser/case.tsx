/**
 * One case: where it stands (status, the next step as a button, the deadlines in words), the
 * report and the conversation with the reporter, the relay to the organisation, the
 * registration, retention with the legal hold, and access for another adviser.
 */
import { useEffect, useState } from 'preact/hooks';
import type { CaseStatus, OpenedCase, StaffAccount, StatusChangeResponse } from '../../../protocol/index.js';
import { Files } from '../../components/files.js';
import type { Inspection } from '../../worker/file-cleaning.js';
import { Busy, Link, Page, formatDate, formatTime } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { useLang, useT } from '../../i18n/index.js';
import { caseDeadlines } from './deadlines.js';
import { AccountBar, RequireAdviser } from './gate.js';
import { GrantAccess } from './grant.js';
import { RegistrationForm } from './registration.js';
import { RelaySection } from './relay.js';
import { ReportView } from './report.js';
import { RetentionSection } from './retention.js';
import { caseReference } from '../../../protocol/case-reference.js';
import { AdviserError, errorCode, LiveStatus, relativeDays, staffCall } from './shared.js';

/** The sections of the case page, for the in-page navigation: heading id and title key. */
const SECTIONS: ReadonlyArray<readonly [string, string]> = [
  ['status-title', 'adviser.case.statusTitle'],
  ['report-title', 'adviser.report.title'],
  ['conversation-title', 'adviser.conversation.title'],
  ['files-title', 'files.title'],
  ['relay-title', 'adviser.relay.title'],
  ['registration-title', 'adviser.registration.title'],
  ['retention-title', 'adviser.retention.title'],
  ['grant-title', 'adviser.grant.title'],
];

/** The one step forward a status allows (closed cases can be reopened). */
export const NEXT_STATUS: Record<CaseStatus, CaseStatus> = {
  received: 'acknowledged',
  acknowledged: 'in_progress',
  in_progress: 'closed',
  closed: 'in_progress',
};

function StatusPanel(props: { opened: OpenedCase; onStatus(change: StatusChangeResponse): void }) {
  const t = useT();
  const { lang } = useLang();
  const { opened } = props;
  const { busy, error, run } = useAction();
  const [changed, setChanged] = useState<CaseStatus | null>(null);
  const next = NEXT_STATUS[opened.status];

  const step = async () => {
    setChanged(null);
    await run(async () => {
      const change = await staffCall<StatusChangeResponse>('setStatus', [opened.caseId, next]);
      props.onStatus(change);
      setChanged(change.status);
    });
  };

  return (
    <section aria-labelledby="status-title">
      <h2 id="status-title">{t('adviser.case.statusTitle')}</h2>
      <p class="status-line">
        {t('adviser.case.status')} <strong>{t(`status.${opened.status}`)}</strong>
        {opened.overdue ? <span class="badge overdue">{t('adviser.badge.overdue')}</span> : null}
      </p>
      <p class="meta">{t('adviser.case.received', { date: formatTime(opened.receivedAt, lang) })}</p>
      <p class="hint key-check">{t(opened.keyCheck === 'signed' ? 'adviser.case.keySigned' : 'adviser.case.keyPinned')}</p>
      <ul class="deadlines">
        {caseDeadlines(opened).map((line) => (
          <li key={line.key} class={line.late ? 'late' : undefined}>
            {t(line.key, { date: formatDate(line.date, lang), relative: line.relative ? relativeDays(line.relative, lang) : '' })}
          </li>
        ))}
      </ul>
      <p class="hint">{t('adviser.case.deadlinesHint')}</p>
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void step()} aria-describedby="status-next-hint">
          {t(`adviser.case.next.${next}${opened.status === 'closed' ? 'Reopen' : ''}`)}
        </button>
      </div>
      <p class="hint" id="status-next-hint">
        {t(`adviser.case.nextHint.${opened.status}`)}
      </p>
      <AdviserError error={error} />
      <LiveStatus message={busy ? t('busy') : changed ? t('adviser.case.statusChanged', { status: t(`status.${changed}`) }) : null} />
    </section>
  );
}

function Conversation(props: { opened: OpenedCase; onOpened(opened: OpenedCase): void }) {
  const t = useT();
  const { lang } = useLang();
  const { opened } = props;
  const [body, setBody] = useState('');
  const [isFeedback, setIsFeedback] = useState(false);
  const { busy, error, setError, run } = useAction();
  const [sent, setSent] = useState(false);
  const feedbackGiven = opened.feedbackGivenAt !== null;

  const reply = async (event: Event) => {
    event.preventDefault();
    if (!body.trim()) return setError({ code: 'message_empty' });
    setSent(false);
    await run(async () => {
      props.onOpened(await staffCall<OpenedCase>('reply', [opened.caseId, body.trim(), { feedback: isFeedback && !feedbackGiven }]));
      setBody('');
      setIsFeedback(false);
      setSent(true);
    });
  };

  return (
    <section aria-labelledby="conversation-title">
      <h2 id="conversation-title">{t('adviser.conversation.title')}</h2>
      {opened.messages.length === 0 ? <p class="hint">{t('adviser.conversation.empty')}</p> : null}
      {opened.messages.length > 0 ? (
        <ul class="messages">
          {opened.messages.map((m) => (
            <li key={m.id} class={m.author === 'adviser' ? 'mine' : undefined}>
              <p class="meta">
                {t(m.author === 'adviser' ? 'adviser.conversation.fromAdviser' : 'adviser.conversation.fromReporter')} · {formatTime(m.sentAt, lang)}
                {m.feedback ? <span class="badge feedback">{t('adviser.conversation.feedbackBadge')}</span> : null}
              </p>
              {m.ok ? <p class="pre">{m.message.body}</p> : <p class="error">{t('adviser.conversation.unreadable')}</p>}
            </li>
          ))}
        </ul>
      ) : null}
      <form onSubmit={(event) => void reply(event)} noValidate>
        <label for="reply-body">{t('adviser.conversation.replyLabel')}</label>
        <textarea id="reply-body" value={body} aria-describedby="reply-hint" onInput={(event) => setBody((event.target as HTMLTextAreaElement).value)} />
        <p class="hint" id="reply-hint">
          {t('adviser.conversation.replyHint')}
        </p>
        {feedbackGiven ? null : (
          <>
            <label class="choice" for="reply-feedback">
              <input
                id="reply-feedback"
                type="checkbox"
                checked={isFeedback}
                aria-describedby="reply-feedback-hint"
                onChange={(event) => setIsFeedback((event.target as HTMLInputElement).checked)}
              />
              <span>{t('adviser.conversation.markFeedback')}</span>
            </label>
            <p class="hint" id="reply-feedback-hint">
              {t('adviser.conversation.markFeedbackHint')}
            </p>
          </>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('adviser.conversation.send')}
          </button>
        </div>
      </form>
      <AdviserError error={error} />
      <LiveStatus message={busy ? t('progress.sending') : sent ? t('adviser.conversation.sent') : null} />
    </section>
  );
}

function CaseView(props: { caseId: string; account: StaffAccount }) {
  const t = useT();
  const [opened, setOpened] = useState<OpenedCase | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      setOpened(await staffCall<OpenedCase>('openCase', [props.caseId]));
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setOpened(null);
    void load();
  }, [props.caseId]);

  const channel = opened ? props.account.channels.find((c) => c.slug === opened.channel) : undefined;

  return (
    <>
      <p>
        <Link href="/inbox">{t('adviser.case.back')}</Link>
      </p>
      {loading && !opened ? <Busy /> : null}
      <AdviserError error={error} />
      {errorCode(error) === 'not_signed_in' ? (
        <p>
          <Link href="/login">{t('adviser.signedOut.login')}</Link>
        </p>
      ) : null}
      {opened ? (
        <>
          <div class="actions">
            <button type="button" class="secondary" disabled={loading} onClick={() => void load()}>
              {t('adviser.refresh')}
            </button>
          </div>
          <LiveStatus message={loading ? t('busy') : null} />
          {channel ? <p class="meta">{t('adviser.case.channel', { channel: channel.name })}</p> : null}
          <nav class="on-this-page" aria-label={t('adviser.case.onThisPage')}>
            <ul>
              {SECTIONS.map(([id, key]) => (
                <li key={id}>
                  <a href={`#${id}`}>{t(key)}</a>
                </li>
              ))}
            </ul>
          </nav>
          <StatusPanel opened={opened} onStatus={(change) => setOpened({ ...opened, ...change })} />
          {/* On a wide screen the report stays beside the conversation and the relay: the daily work reads from it. */}
          <div class="case-columns">
            {/* Focusable: on a wide screen it scrolls on its own, and keyboards must reach that too. */}
            <section aria-labelledby="report-title" class="case-report" tabIndex={0}>
              <h2 id="report-title">{t('adviser.report.title')}</h2>
              <ReportView report={opened.report} />
            </section>
            <div class="case-work">
              <Conversation opened={opened} onOpened={setOpened} />
              <Files
                files={opened.files}
                authorLabel={(author) => t(author === 'reporter' ? 'adviser.conversation.fromReporter' : 'adviser.conversation.fromAdviser')}
                attach={async (transferId, file, clean, progress) => setOpened(await staffCall<OpenedCase>('attachCaseFile', [transferId, opened.caseId, file, clean], progress))}
                download={(fileId, target, progress) => staffCall<Blob | null>('downloadCaseFile', [opened.caseId, fileId, target], progress)}
                control={(method, transferId) => staffCall(method, [transferId])}
                inspect={(file) => staffCall<Inspection>('inspectFile', [file])}
              />
              <RelaySection opened={opened} onChanged={load} />
            </div>
          </div>
          <RegistrationForm key={opened.caseId} opened={opened} onSaved={(followUpOn) => setOpened({ ...opened, followUpOn })} />
          <RetentionSection opened={opened} onOpened={setOpened} />
          <GrantAccess opened={opened} account={props.account} />
        </>
      ) : null}
    </>
  );
}

export function CasePage(props: { params: Record<string, string> }) {
  const t = useT();
  const caseId = props.params.caseId ?? '';
  return (
    <Page title={t('adviser.case.name', { ref: caseReference(caseId) })}>
      <AccountBar />
      <RequireAdviser>{(account) => <CaseView caseId={caseId} account={account} />}</RequireAdviser>
    </Page>
  );
}
