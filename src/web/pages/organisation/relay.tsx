/**
 * One relay as the organisation reads it: the adviser's text, the thread between the adviser
 * and the organisation, and a form to answer. Nothing here leads back to the case or the reporter.
 */
import { useEffect, useState } from 'preact/hooks';
import { relayReference } from '../../../protocol/case-reference.js';
import type { OpenedRelayThread, StaffAccount } from '../../../protocol/index.js';
import { FlowError, call } from '../../crypto.js';
import { useLang, useT } from '../../i18n/index.js';
import { Busy, ErrorText, Link, Page, formatTime } from '../../components/ui.js';
import { AccountBar, RecipientOnly, failWith, useTitle, type Params } from './shared.js';
import { NarrativeView, PublishedReportView } from '../adviser/annual-report.js';
import { Attachments } from '../../components/files.js';

function isNotFound(error: unknown): boolean {
  return error instanceof FlowError && (error.status === 404 || error.code === 'unknown_relay');
}

function Thread(props: { thread: OpenedRelayThread }) {
  const t = useT();
  const { lang } = useLang();
  const { messages } = props.thread;
  if (messages.length === 0) return <p class="org-empty">{t('organisation.relay.thread.empty')}</p>;
  return (
    <ol class="messages org-thread">
      {messages.map((m) => {
        const ours = m.author === 'organisation';
        return (
          <li key={m.id} class={ours ? 'mine' : undefined}>
            <p class="meta">
              <strong>{ours ? t('organisation.author.organisation') : t('organisation.author.adviser')}</strong>
              {ours ? <> {t('organisation.author.ours')}</> : null}
              {' · '}
              <time dateTime={m.sentAt}>{formatTime(m.sentAt, lang)}</time>
            </p>
            <p class="pre">{m.message.body}</p>
          </li>
        );
      })}
    </ol>
  );
}

function AnswerForm(props: { relayId: string; onSent(thread: OpenedRelayThread): void }) {
  const t = useT();
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState(false);
  const [empty, setEmpty] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending) return;
    setSent(false);
    setError(null);
    if (!draft.trim()) {
      setEmpty(true);
      return;
    }
    setEmpty(false);
    setSending(true);
    try {
      const thread = await call<OpenedRelayThread>('postRelayMessage', [props.relayId, draft]);
      setDraft('');
      setSent(true);
      props.onSent(thread);
    } catch (failure) {
      failWith(failure, setError);
    } finally {
      setSending(false);
    }
  };

  return (
    <form class="org-answer" onSubmit={(event) => void submit(event)} noValidate>
      <label htmlFor="org-answer-body">{t('organisation.reply.label')}</label>
      <p class="hint" id="org-answer-hint">
        {t('organisation.reply.hint')}
      </p>
      <textarea
        id="org-answer-body"
        name="body"
        rows={6}
        value={draft}
        aria-required="true"
        aria-invalid={empty ? 'true' : undefined}
        aria-describedby={empty ? 'org-answer-hint org-answer-empty' : 'org-answer-hint'}
        onInput={(event) => {
          setDraft((event.currentTarget as HTMLTextAreaElement).value);
          setSent(false);
          if (empty) setEmpty(false);
        }}
      />
      {empty ? (
        <p class="error" role="alert" id="org-answer-empty">
          {t('organisation.reply.empty')}
        </p>
      ) : null}
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={sending}>
          {t('organisation.reply.send')}
        </button>
      </div>
      <p class="org-status" role="status" aria-live="polite">
        {sending ? t('progress.sending') : sent ? t('organisation.reply.sent') : ''}
      </p>
    </form>
  );
}

function Relay(props: { account: StaffAccount; relayId: string }) {
  const t = useT();
  const { lang } = useLang();
  const [thread, setThread] = useState<OpenedRelayThread | null>(null);
  const [error, setError] = useState<unknown>(null);
  const title = t(thread?.kind === 'annual_report' ? 'organisation.relay.titleAnnual' : 'organisation.relay.title', { ref: relayReference(props.relayId) });
  useTitle(title);

  useEffect(() => {
    let live = true;
    setThread(null);
    setError(null);
    call<OpenedRelayThread>('openRelay', [props.relayId]).then(
      (found) => live && setThread(found),
      (failure: unknown) => live && failWith(failure, setError),
    );
    return () => {
      live = false;
    };
  }, [props.relayId]);

  const back = (
    <p>
      <Link href="/relays">{t('organisation.relay.back')}</Link>
    </p>
  );

  return (
    <Page title={title}>
      <AccountBar account={props.account} />
      {error ? (
        isNotFound(error) ? (
          <p class="error" role="alert">
            {t('organisation.relay.notFound')}
          </p>
        ) : (
          <ErrorText error={error} />
        )
      ) : null}
      {!thread && !error ? <Busy /> : null}
      {thread ? (
        <>
          {thread.sentAt ? (
            <p class="meta">
              {t('organisation.relay.sentAt', { date: formatTime(thread.sentAt, lang) })}
            </p>
          ) : null}
          {thread.kind === 'annual_report' ? (
            <article class="annual-report" aria-labelledby="annual-title">
              <p class="panel org-about">{t('organisation.relay.annualAbout')}</p>
              {thread.text.annualReport ? (
                <>
                  <PublishedReportView report={thread.text.annualReport.report} channels={thread.text.annualReport.channels} />
                  <NarrativeView narrative={thread.text.annualReport.narrative} />
                </>
              ) : (
                <div class="panel org-text">
                  <p class="pre">{thread.text.body}</p>
                </div>
              )}
            </article>
          ) : (
            <>
          <section class="panel org-about" aria-labelledby="org-about-title">
            <h2 id="org-about-title">{t('organisation.relay.about.title')}</h2>
            <p>{t('organisation.relay.about.adviser')}</p>
            <p>{t('organisation.relay.about.answers')}</p>
            <p>
              <strong>{t('organisation.relay.about.identity')}</strong>
            </p>
          </section>
          <section aria-labelledby="org-text-title">
            <h2 id="org-text-title">{t('organisation.relay.text.title')}</h2>
            <div class="panel org-text">
              <p class="pre">{thread.text.body}</p>
            </div>
            <Attachments attachments={thread.attachments} download={(fileId, target, progress) => call<Blob | null>('downloadRelayAttachment', [props.relayId, fileId, target], progress)} />
            <p class={thread.approval === 'mismatch' ? 'panel warning approval' : 'hint approval'}>{t(`organisation.relay.approval.${thread.approval}`)}</p>
          </section>
            </>
          )}
          <section aria-labelledby="org-thread-title">
            <h2 id="org-thread-title">{t('organisation.relay.thread.title')}</h2>
            <Thread thread={thread} />
          </section>
          <section aria-labelledby="org-answer-title">
            <h2 id="org-answer-title">{t('organisation.reply.title')}</h2>
            <AnswerForm relayId={props.relayId} onSent={setThread} />
          </section>
        </>
      ) : null}
      {back}
    </Page>
  );
}

export function RelayPage(props: Params) {
  const relayId = props.params.relayId ?? '';
  return <RecipientOnly>{(account) => <Relay key={relayId} account={account} relayId={relayId} />}</RecipientOnly>;
}
