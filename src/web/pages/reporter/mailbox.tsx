/**
 * The mailbox: log in with the code (typing mistakes caught at once from the check symbols),
 * then status and deadlines in plain words, the conversation, replying, consent to relay
 * texts, and changing the code. The code is held only while it is typed; the session and
 * the case key stay in the worker.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Attachments, Files } from '../../components/files.js';
import type { Inspection } from '../../worker/file-cleaning.js';
import { Busy, formatDate, formatTime } from '../../components/ui.js';
import { call } from '../../crypto.js';
import { useLang, useT } from '../../i18n/index.js';
import type { OpenedMailbox, OpenedRelay } from '../../../protocol/reporter.js';
import { CodeCard } from './code-card.js';
import { CODE_LENGTH, feedbackFor, isMistake, type CheckResult, type Feedback } from './code-input.js';
import { caseReference } from '../../../protocol/case-reference.js';
import { deadlines } from '../../../protocol/deadlines.js';
import { ReporterError, StepPage, isSessionEnded } from './common.js';
import { IDENTITY_FIELDS, QUESTIONS } from './fields.js';
import { MINUTES_ANSWER } from '../../../protocol/registration.js';
import { reporter as reporterStrings } from '../../i18n/reporter.js';

type Notice = 'signedOut' | 'rotated' | 'sessionEnded' | null;
type Step = 'login' | 'open' | 'rotating' | 'newCode';

export function MailboxPage(_props: { params: Record<string, string> }) {
  const t = useT();
  const [step, setStep] = useState<Step>('login');
  const [view, setView] = useState<OpenedMailbox | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [newCode, setNewCode] = useState<string | null>(null);
  const [rotateError, setRotateError] = useState<unknown>(null);
  const [stage, setStage] = useState<string | null>(null);
  const opened = useRef(false);

  // Leaving the page closes the session on the server and forgets the case key in the worker.
  useEffect(
    () => () => {
      if (opened.current) void call('mailboxClose').catch(() => {});
    },
    [],
  );

  const toLogin = (why: Notice) => {
    opened.current = false;
    setView(null);
    setNotice(why);
    setStep('login');
  };
  const failed = (error: unknown): boolean => {
    if (!isSessionEnded(error)) return false;
    toLogin('sessionEnded');
    return true;
  };

  if (step === 'login') {
    return (
      <StepPage title={t('reporter.login.title')} step="login">
        {notice ? <p class="notice" role="status">{t(`reporter.login.notice.${notice}`)}</p> : null}
        <CodeLogin
          onOpened={(opened_) => {
            opened.current = true;
            setNotice(null);
            setView(opened_);
            setStep('open');
          }}
        />
      </StepPage>
    );
  }
  if (step === 'rotating') {
    return (
      <StepPage title={t('reporter.rotate.busyTitle')} step="rotating">
        <Busy stage={stage} />
      </StepPage>
    );
  }
  if (step === 'newCode' && newCode) {
    return (
      <StepPage title={t('reporter.rotate.newTitle')} step="newCode">
        <p class="ok">{t('reporter.rotate.done')}</p>
        <CodeCard
          code={newCode}
          onContinue={() => {
            setNewCode(null);
            toLogin('rotated');
          }}
        />
      </StepPage>
    );
  }
  if (!view) return null;
  return (
    <StepPage title={t('reporter.mailbox.title')} step="open">
      <MailboxView
        view={view}
        onView={setView}
        onFailure={failed}
        rotateError={rotateError}
        onRotate={async () => {
          setRotateError(null);
          setStage('deriving');
          setStep('rotating');
          try {
            const code = await call<string>('mailboxRotate', [], setStage);
            opened.current = false;
            setNewCode(code);
            setStep('newCode');
          } catch (error) {
            if (failed(error)) return;
            setRotateError(error);
            setStep('open');
          }
        }}
        onSignOut={async () => {
          await call('mailboxClose').catch(() => {});
          toLogin('signedOut');
        }}
      />
    </StepPage>
  );
}

/** The code field with instant typo feedback, and the login itself. */
function CodeLogin(props: { onOpened(view: OpenedMailbox): void }) {
  const t = useT();
  const [input, setInput] = useState('');
  const [feedback, setFeedback] = useState<Feedback>({ kind: 'none' });
  const [submitted, setSubmitted] = useState<Feedback | null>(null);
  const [busy, setBusy] = useState(false);
  const [stage, setStage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const field = useRef<HTMLInputElement>(null);
  const latest = useRef('');

  const check = async (value: string, submitting: boolean): Promise<Feedback> => {
    const result = await call<CheckResult>('checkCode', [value]);
    return feedbackFor(value, result, submitting);
  };

  const onInput = (value: string) => {
    setInput(value);
    setSubmitted(null);
    setError(null);
    latest.current = value;
    void check(value, false).then((next) => {
      // Answers come back in order; only the one for what is in the field now counts.
      if (latest.current === value) setFeedback(next);
    });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    const result = await check(input, true);
    setFeedback(result);
    if (result.kind !== 'ok') {
      setSubmitted(result);
      field.current?.focus();
      return;
    }
    setSubmitted(null);
    setBusy(true);
    setStage('deriving');
    try {
      const view = await call<OpenedMailbox>('openMailbox', [input], setStage);
      props.onOpened(view);
    } catch (failure) {
      setError(failure);
      setBusy(false);
      field.current?.focus();
    }
  };

  const mistake = isMistake(feedback);
  return (
    <>
      <p>{t('reporter.login.intro')}</p>
      {/* No `name` on the field: even a form sent without the script could not put the code in a URL. */}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <label for="mailbox-code">{t('reporter.login.label')}</label>
        <p class="hint" id="mailbox-code-hint">
          {t('reporter.login.hint')}
        </p>
        <input
          type="text"
          id="mailbox-code"
          class="code-input"
          ref={field}
          value={input}
          autocomplete="off"
          autocapitalize="characters"
          autocorrect="off"
          spellcheck={false}
          aria-describedby="mailbox-code-hint mailbox-code-feedback"
          aria-invalid={mistake || submitted ? 'true' : undefined}
          disabled={busy}
          onInput={(event) => onInput(event.currentTarget.value)}
        />
        <p id="mailbox-code-feedback" class={mistake ? 'error' : feedback.kind === 'ok' ? 'ok' : 'hint'} aria-live="polite">
          {feedbackText(t, feedback)}
        </p>
        {submitted ? (
          <p class="error" role="alert">
            {feedbackText(t, submitted)}
          </p>
        ) : null}
        <ReporterError error={error} />
        {busy ? <Busy stage={stage} /> : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('reporter.login.submit')}
          </button>
        </div>
      </form>
      <h2>{t('reporter.login.lost.title')}</h2>
      <p>{t('reporter.login.lost.body')}</p>
    </>
  );
}

function feedbackText(t: ReturnType<typeof useT>, feedback: Feedback): string {
  switch (feedback.kind) {
    case 'none':
      return '';
    case 'count':
      return t('reporter.login.count', { count: feedback.count, total: CODE_LENGTH });
    case 'ok':
      return t('reporter.login.looksRight');
    case 'invalid_symbol':
      return t('reporter.login.invalidSymbol', { character: feedback.character });
    case 'too_long':
      return t('reporter.login.tooLong', { count: feedback.count, total: CODE_LENGTH });
    case 'too_short':
      return feedback.count === 0 ? t('reporter.login.empty') : t('reporter.login.tooShort', { count: feedback.count, total: CODE_LENGTH });
    case 'wrong_check':
      return t('reporter.login.wrongCheck');
  }
}

/** The open mailbox. */
function MailboxView(props: {
  view: OpenedMailbox;
  onView(view: OpenedMailbox): void;
  /** True when the failure was handled (the session ended). */
  onFailure(error: unknown): boolean;
  rotateError: unknown;
  onRotate(): Promise<void>;
  onSignOut(): Promise<void>;
}) {
  const t = useT();
  const { view } = props;
  const [refreshing, setRefreshing] = useState(false);
  const [refreshError, setRefreshError] = useState<unknown>(null);

  const refresh = async () => {
    setRefreshing(true);
    setRefreshError(null);
    try {
      props.onView(await call<OpenedMailbox>('mailboxRefresh'));
    } catch (error) {
      if (!props.onFailure(error)) setRefreshError(error);
    } finally {
      setRefreshing(false);
    }
  };

  return (
    <>
      <p class="lead" data-testid="case-reference">
        {t('reporter.mailbox.reference', { ref: caseReference(view.caseId) })}
      </p>
      <Status view={view} />
      <MinutesReview view={view} onView={props.onView} onFailure={props.onFailure} />

      {view.relays.length > 0 ? (
        <section aria-labelledby="relays-title">
          <h2 id="relays-title">{t('reporter.relays.title')}</h2>
          <p>{t('reporter.relays.intro')}</p>
          {view.relays.map((relay) => (
            <Relay key={relay.relayId} relay={relay} onView={props.onView} onFailure={props.onFailure} />
          ))}
        </section>
      ) : null}

      <section aria-labelledby="messages-title">
        <h2 id="messages-title">{t('reporter.messages.title')}</h2>
        <Messages view={view} />
        <div class="actions">
          <button type="button" class="secondary" disabled={refreshing} onClick={() => void refresh()}>
            {t('reporter.messages.refresh')}
          </button>
        </div>
        {refreshing ? <Busy /> : null}
        <ReporterError error={refreshError} />
        <Reply onView={props.onView} onFailure={props.onFailure} />
      </section>

      <MailboxFiles view={view} onView={props.onView} />

      <section aria-labelledby="report-title">
        <h2 id="report-title">{t('reporter.report.title')}</h2>
        <OwnReport view={view} />
      </section>

      <Readers view={view} />

      <section aria-labelledby="rotate-title">
        <h2 id="rotate-title">{t('reporter.rotate.title')}</h2>
        <p>{t('reporter.rotate.intro')}</p>
        <ReporterError error={props.rotateError} />
        <div class="actions">
          <button type="button" class="secondary" onClick={() => void props.onRotate()}>
            {t('reporter.rotate.button')}
          </button>
        </div>
      </section>

      <section aria-labelledby="signout-title">
        <h2 id="signout-title">{t('reporter.signOut.title')}</h2>
        <p>{t('reporter.signOut.intro')}</p>
        <div class="actions">
          <button type="button" onClick={() => void props.onSignOut()}>
            {t('reporter.signOut.button')}
          </button>
        </div>
      </section>
    </>
  );
}

/** The case's files as the reporter sees them, with attaching: in the mailbox, and on the confirmation page after sending. */
export function MailboxFiles(props: { view: OpenedMailbox; onView(view: OpenedMailbox): void; maxBytes?: number }) {
  const t = useT();
  return (
    <Files
      files={props.view.files}
      authorLabel={(author) => (author === 'reporter' ? t('reporter.messages.you') : t('reporter.messages.adviser'))}
      attach={async (transferId, file, clean, progress) => props.onView(await call<OpenedMailbox>('mailboxAttach', [transferId, file, clean], progress))}
      download={(fileId, target, progress) => call<Blob | null>('mailboxDownload', [fileId, target], progress)}
      control={(method, transferId) => call(method, [transferId])}
      inspect={(file) => call<Inspection>('inspectFile', [file])}
      {...(props.maxBytes === undefined ? {} : { maxBytes: props.maxBytes })}
    />
  );
}

/** Who holds the case key: a grant by one adviser to another shows here, so it is never silent. */
function Readers(props: { view: OpenedMailbox }) {
  const t = useT();
  return (
    <section aria-labelledby="readers-title">
      <h2 id="readers-title">{t('reporter.readers.title')}</h2>
      <p>{t('reporter.readers.intro')}</p>
      <ul class="readers">
        {props.view.readers.map((reader) => (
          <li key={reader.keyId}>
            {reader.name}
            {reader.granted ? <> ({t('reporter.readers.granted')})</> : null}
          </li>
        ))}
      </ul>
      <p class="hint">{t('reporter.readers.excludedNote')}</p>
    </section>
  );
}

function Status(props: { view: OpenedMailbox }) {
  const t = useT();
  const { lang } = useLang();
  const { view } = props;
  // The protocol's one rule, as the adviser's pages and the server apply it.
  const due = deadlines({
    status: view.status,
    receivedAt: new Date(view.receivedAt),
    acknowledgedAt: view.acknowledgedAt === null ? null : new Date(view.acknowledgedAt),
    feedbackGivenAt: view.feedbackGivenAt === null ? null : new Date(view.feedbackGivenAt),
  });
  const acknowledgeBy = due.acknowledgeBy.toISOString();
  const date = (iso: string) => formatDate(iso, lang);
  return (
    <section aria-labelledby="status-title" class="panel">
      <h2 id="status-title">{t('reporter.status.title')}</h2>
      <p>
        <strong>{t('reporter.status.now', { status: t(`status.${view.status}`) })}</strong>
      </p>
      <ul class="deadlines">
        <li>{t('reporter.status.received', { date: date(view.receivedAt) })}</li>
        {view.status === 'received' ? (
          <li>
            {due.acknowledgeMissed
              ? t('reporter.status.acknowledgeLate', { date: date(acknowledgeBy) })
              : t('reporter.status.acknowledgeBy', { date: date(acknowledgeBy) })}
          </li>
        ) : view.acknowledgedAt ? (
          <li>{t('reporter.status.acknowledged', { date: date(view.acknowledgedAt) })}</li>
        ) : null}
        {view.feedbackGivenAt ? (
          <li>{t('reporter.status.feedbackGiven', { date: date(view.feedbackGivenAt) })}</li>
        ) : view.status === 'closed' ? null : (
          <li>
            {due.feedbackMissed
              ? t('reporter.status.feedbackLate', { date: date(view.feedbackBy) })
              : t('reporter.status.feedbackBy', { date: date(view.feedbackBy) })}
          </li>
        )}
        {view.status === 'closed' ? <li>{t('reporter.status.closed')}</li> : null}
      </ul>
      <p class="hint">{t('reporter.status.external')}</p>
    </section>
  );
}

function Messages(props: { view: OpenedMailbox }) {
  const t = useT();
  const { lang } = useLang();
  if (props.view.messages.length === 0) return <p>{t('reporter.messages.none')}</p>;
  return (
    <ol class="messages">
      {props.view.messages.map((m) => {
        const mine = m.author === 'reporter';
        return (
          <li key={m.id} class={mine ? 'mine' : undefined}>
            <p class="meta">
              {mine ? t('reporter.messages.you') : t('reporter.messages.adviser')} · <time dateTime={m.sentAt}>{formatTime(m.sentAt, lang)}</time>
              {m.feedback ? <span class="badge feedback">{t('reporter.messages.feedback')}</span> : null}
            </p>
            {m.ok ? <p class="pre">{m.message.body}</p> : <p class="error">{t('reporter.messages.unreadable')}</p>}
          </li>
        );
      })}
    </ol>
  );
}

/** The reporter's reply. */
function Reply(props: { onView(view: OpenedMailbox): void; onFailure(error: unknown): boolean }) {
  const t = useT();
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);
  const [sent, setSent] = useState(false);
  const field = useRef<HTMLTextAreaElement>(null);

  const send = async (event: Event) => {
    event.preventDefault();
    setSent(false);
    setError(null);
    if (body.trim() === '') {
      setMissing(true);
      field.current?.focus();
      return;
    }
    setBusy(true);
    try {
      props.onView(await call<OpenedMailbox>('mailboxPost', [body.trim()]));
      setBody('');
      setSent(true);
    } catch (failure) {
      if (!props.onFailure(failure)) setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(event) => void send(event)} noValidate>
      <h3>{t('reporter.reply.title')}</h3>
      <label for="reply-body">{t('reporter.reply.label')}</label>
      <p class="hint" id="reply-hint">
        {t('reporter.reply.hint')}
      </p>
      <textarea
        id="reply-body"
        ref={field}
        value={body}
        maxLength={10000}
        aria-describedby={missing ? 'reply-hint reply-missing' : 'reply-hint'}
        aria-invalid={missing ? 'true' : undefined}
        onInput={(event) => {
          setBody(event.currentTarget.value);
          setMissing(false);
          setSent(false);
        }}
      />
      {missing ? (
        <p class="error" role="alert" id="reply-missing">
          {t('reporter.reply.missing')}
        </p>
      ) : null}
      <ReporterError error={error} />
      <p class="ok" role="status">
        {sent ? t('reporter.reply.sent') : ''}
      </p>
      {busy ? <Busy stage="sending" /> : null}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t('reporter.reply.submit')}
        </button>
      </div>
    </form>
  );
}

/** The body of a relay copy (`{ v: 1, body }`), or null when it does not have that shape. */
function relayBody(relay: OpenedRelay): string | null {
  if (!relay.ok) return null;
  const copy = relay.copy as { v?: unknown; body?: unknown } | null;
  return copy && typeof copy === 'object' && typeof copy.body === 'string' ? copy.body : null;
}

/** A relay text exactly as the organisation would get it, with approve and decline. */
function Relay(props: { relay: OpenedRelay; onView(view: OpenedMailbox): void; onFailure(error: unknown): boolean }) {
  const t = useT();
  const { relay } = props;
  const [deciding, setDeciding] = useState<'approve' | 'decline' | null>(null);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const body = relayBody(relay);
  const id = `relay-${relay.relayId}`;

  const decide = async () => {
    if (!deciding) return;
    setBusy(true);
    setError(null);
    try {
      const view = await call<OpenedMailbox>('mailboxConsent', [relay.relayId, deciding, message.trim()]);
      setDeciding(null);
      setMessage('');
      props.onView(view);
    } catch (failure) {
      if (!props.onFailure(failure)) setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article class="panel relay" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>
        {t(`reporter.relays.item.${relay.state}`)} <span class="badge">{t(`relayState.${relay.state}`)}</span>
      </h3>
      <p>{t(`reporter.relays.state.${relay.state}`)}</p>
      {body !== null ? (
        <>
          <p class="hint">{t('reporter.relays.exactly')}</p>
          <blockquote class="relay-text pre">{body}</blockquote>
          {relay.ok && relay.attachments.length > 0 ? (
            <>
              <p class="hint">{t('reporter.relays.attachments')}</p>
              <Attachments
                attachments={relay.attachments}
                download={(fileId, target, progress) => call<Blob | null>('mailboxRelayAttachment', [relay.relayId, fileId, target], progress)}
              />
            </>
          ) : null}
        </>
      ) : (
        <p class="error">{t('reporter.relays.unreadable')}</p>
      )}
      {relay.state === 'awaiting_consent' && body !== null ? (
        deciding ? (
          <div class="confirm">
            <p>
              <strong>{t(deciding === 'approve' ? 'reporter.relays.confirmApprove' : 'reporter.relays.confirmDecline')}</strong>
            </p>
            <label for={`${id}-message`}>{t('reporter.relays.message')}</label>
            <p class="hint" id={`${id}-message-hint`}>
              {t(deciding === 'approve' ? 'reporter.relays.message.approveHint' : 'reporter.relays.message.declineHint')}
            </p>
            <textarea
              id={`${id}-message`}
              value={message}
              maxLength={10000}
              aria-describedby={`${id}-message-hint`}
              onInput={(event) => setMessage(event.currentTarget.value)}
            />
            <ReporterError error={error} />
            {busy ? <Busy stage="sending" /> : null}
            <div class="actions">
              <button type="button" class={deciding === 'decline' ? 'danger' : undefined} disabled={busy} onClick={() => void decide()}>
                {t(deciding === 'approve' ? 'reporter.relays.yesApprove' : 'reporter.relays.yesDecline')}
              </button>
              <button type="button" class="secondary" disabled={busy} onClick={() => setDeciding(null)}>
                {t('reporter.relays.cancel')}
              </button>
            </div>
          </div>
        ) : (
          <div class="actions">
            <button type="button" onClick={() => setDeciding('approve')}>
              {t('reporter.relays.approve')}
            </button>
            <button type="button" class="secondary" onClick={() => setDeciding('decline')}>
              {t('reporter.relays.decline')}
            </button>
          </div>
        )
      ) : null}
    </article>
  );
}

/** The approval the reporter sends, in either language: how the page knows the minutes were approved. */
const MINUTES_APPROVALS = [reporterStrings.nl['reporter.minutes.approvedMessage'], reporterStrings.en['reporter.minutes.approvedMessage']];

/**
 * Minutes of a phone call or meeting that the adviser recorded (StaffSession.recordContact): the
 * reporter reads them here and approves them, or writes what must change. The approval is an
 * ordinary message, so the adviser sees it in the conversation.
 */
function MinutesReview(props: { view: OpenedMailbox; onView(view: OpenedMailbox): void; onFailure(error: unknown): boolean }) {
  const t = useT();
  const minutes = props.view.report.answers[MINUTES_ANSWER];
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (typeof minutes !== 'string') return null;
  const approved = props.view.messages.some((m) => m.author === 'reporter' && m.ok && MINUTES_APPROVALS.includes(m.message.body));

  const approve = async () => {
    setBusy(true);
    setError(null);
    try {
      props.onView(await call<OpenedMailbox>('mailboxPost', [t('reporter.minutes.approvedMessage')]));
    } catch (failure) {
      if (!props.onFailure(failure)) setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel minutes" aria-labelledby="minutes-title">
      <h2 id="minutes-title">{t('reporter.minutes.title')}</h2>
      <p>{t('reporter.minutes.intro')}</p>
      <p class="pre" data-testid="minutes">
        {minutes}
      </p>
      {approved ? (
        <p class="ok">{t('reporter.minutes.approved')}</p>
      ) : (
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => void approve()}>
            {t('reporter.minutes.approve')}
          </button>
          <a class="button secondary" href="#reply-body">
            {t('reporter.minutes.correct')}
          </a>
        </div>
      )}
      <ReporterError error={error} />
      <p class="hint">{t('reporter.minutes.changeCode')}</p>
    </section>
  );
}

/** What the reporter sent, as the adviser reads it. */
function OwnReport(props: { view: OpenedMailbox }) {
  const t = useT();
  const { report } = props.view;
  const known = new Set<string>(QUESTIONS);
  const knownIdentity = new Set<string>(IDENTITY_FIELDS);
  const answers = Object.entries(report.answers);
  const ordered = [
    ...QUESTIONS.flatMap((q) => (q in report.answers ? [[q, report.answers[q]] as const] : [])),
    ...answers.filter(([key]) => !known.has(key)),
  ];
  const identity = report.identity ? Object.entries(report.identity) : [];
  return (
    <details>
      <summary>{t('reporter.report.show')}</summary>
      <dl class="answers">
        {ordered.map(([key, value]) => (
          <div key={key}>
            <dt>{known.has(key) ? t(`reporter.field.${key}`) : key === MINUTES_ANSWER ? t('reporter.minutes.title') : key}</dt>
            <dd class="pre">{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
          </div>
        ))}
        <div>
          <dt>{t('reporter.anonymity.legend')}</dt>
          <dd>{t(report.anonymity === 'confidential' ? 'reporter.report.confidential' : 'reporter.report.anonymous')}</dd>
        </div>
        {identity.map(([key, value]) => (
          <div key={`identity-${key}`}>
            <dt>{knownIdentity.has(key) ? t(`reporter.identity.${key}`) : key}</dt>
            <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
