/**
 * The report form, its submission (Argon2id and proof of work in the worker, with the stage
 * shown), the code page, and a last page on what happens next.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Busy, Link, formatDate } from '../../components/ui.js';
import { call, warmUp } from '../../crypto.js';
import { useLang, useT } from '../../i18n/index.js';
import type { ReportPlaintext } from '../../../protocol/plaintexts.js';
import type { ChannelInfo } from '../../../protocol/wire.js';
import type { OpenedMailbox } from '../../../protocol/reporter.js';
import { CodeCard } from './code-card.js';
import { MailboxFiles } from './mailbox.js';
import { IDENTITY_FIELDS, QUESTIONS, type IdentityField, type Question } from './fields.js';
import { linkPins, ReporterError, StepPage, useChannel } from './common.js';

type Answers = Record<Question, string>;
const EMPTY: Answers = { what: '', when: '', where: '', who: '', how: '' };
/** Long answers for the story, short ones for the facts; well inside the server's report limit. */
const MAX_CHARS: Record<Question, number> = { what: 20000, when: 500, where: 1000, who: 5000, how: 5000 };
const MULTILINE: Record<Question, boolean> = { what: true, when: false, where: false, who: true, how: true };

interface Submitted {
  code: string;
  caseId: string;
  receivedAt: string;
  acknowledgeBy: string;
}

type Step = 'form' | 'sending' | 'code' | 'done';

export function ReportFormPage(props: { params: Record<string, string> }) {
  const t = useT();
  const slug = props.params.slug ?? '';
  const channel = useChannel(slug);
  const [step, setStep] = useState<Step>('form');
  const [stage, setStage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<Submitted | null>(null);
  useAskBeforeUnload(step === 'sending');
  // The code's key derivation runs warm when the report is sent (crypto.ts, warmUp). Only once
  // the channel is shown: the worker does one thing at a time, and the page needs it first.
  useEffect(() => {
    if (channel.state === 'ready') warmUp();
  }, [channel.state]);

  if (step === 'sending') {
    return (
      <StepPage title={t('reporter.sending.title')} step="sending">
        <Busy stage={stage} />
        <p class="hint">{t('reporter.sending.hint')}</p>
      </StepPage>
    );
  }
  if (step === 'code' && result) {
    return (
      <StepPage title={t('reporter.code.title')} step="code">
        <SentSummary result={result} />
        <CodeCard
          code={result.code}
          onContinue={() => {
            // The code is not needed any more: keep only the times.
            setResult({ ...result, code: '' });
            setStep('done');
          }}
        />
      </StepPage>
    );
  }
  if (step === 'done' && result) {
    return <DoneStep result={result} maxFileBytes={channel.state === 'ready' ? channel.channel.maxFileBytes : 0} />;
  }

  if (channel.state === 'loading') {
    return (
      <StepPage title={t('reporter.form.title')} step="loading">
        <Busy />
      </StepPage>
    );
  }
  if (channel.state === 'failed') {
    return (
      <StepPage title={t('reporter.form.title')} step="failed">
        <ReporterError error={channel.error} />
      </StepPage>
    );
  }
  return (
    <StepPage title={t('reporter.form.title')} step="form">
      <ReportForm
        slug={slug}
        channel={channel.channel}
        error={error}
        onSubmit={async (report, adviserKeyIds) => {
          setError(null);
          setStage('deriving');
          setStep('sending');
          try {
            const submitted = await call<Submitted>('submitReport', [slug, report, adviserKeyIds, linkPins()], setStage);
            setResult(submitted);
            setStep('code');
            return true;
          } catch (failure) {
            setError(failure);
            setStep('form');
            return false;
          }
        }}
      />
    </StepPage>
  );
}

/** While a report is on its way, closing the tab asks first: the code would be lost with it. */
function useAskBeforeUnload(active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const ask = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    addEventListener('beforeunload', ask);
    return () => removeEventListener('beforeunload', ask);
  }, [active]);
}

function SentSummary(props: { result: Submitted }) {
  const t = useT();
  const { lang } = useLang();
  return (
    <p class="ok">
      {t('reporter.code.sent', { date: formatDate(props.result.acknowledgeBy, lang) })}
    </p>
  );
}

/**
 * Attaching evidence right after sending, with the mailbox the worker opens with the code it kept
 * from the submission (asked for with a button: until then no mailbox request is made). Leaving
 * the page forgets that code and closes the session.
 */
function SubmittedFiles(props: { maxBytes: number }) {
  const t = useT();
  const [view, setView] = useState<OpenedMailbox | null>(null);
  const [opening, setOpening] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(
    () => () => {
      void call('forgetSubmittedCode').catch(() => {});
      void call('mailboxClose').catch(() => {});
    },
    [],
  );
  if (view) return <MailboxFiles view={view} onView={setView} maxBytes={props.maxBytes} />;
  return (
    <section aria-labelledby="attach-title">
      <h2 id="attach-title">{t('reporter.done.filesTitle')}</h2>
      <p>{t('reporter.done.filesIntro')}</p>
      <ReporterError error={error} />
      {opening ? (
        <Busy stage="deriving" />
      ) : (
        <div class="actions">
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setOpening(true);
              setError(null);
              call<OpenedMailbox>('openSubmittedMailbox').then(setView, (e: unknown) => {
                setError(e);
                setOpening(false);
              });
            }}
          >
            {t('reporter.done.filesButton')}
          </button>
        </div>
      )}
    </section>
  );
}

function DoneStep(props: { result: Submitted; maxFileBytes: number }) {
  const t = useT();
  const { lang } = useLang();
  return (
    <StepPage title={t('reporter.done.title')} step="done">
      <p>{t('reporter.done.received', { date: formatDate(props.result.receivedAt, lang) })}</p>
      <p>{t('reporter.done.acknowledgeBy', { date: formatDate(props.result.acknowledgeBy, lang) })}</p>
      {props.maxFileBytes > 0 ? <SubmittedFiles maxBytes={props.maxFileBytes} /> : null}
      <p>{t('reporter.done.comeBack')}</p>
      <p class="hint">{t('reporter.done.external')}</p>
      <div class="actions">
        <Link href="/mailbox" class="button">
          {t('reporter.done.openMailbox')}
        </Link>
      </div>
      <div class="panel">
        <p>{t('reporter.done.traces')}</p>
      </div>
    </StepPage>
  );
}

/**
 * The form itself. Its content lives in the draft (see useDraft), so a failed submission
 * returns to the form as the reporter left it.
 */
function ReportForm(props: {
  slug: string;
  channel: ChannelInfo;
  error: unknown;
  onSubmit(report: ReportPlaintext, adviserKeyIds: string[] | undefined): Promise<boolean>;
}) {
  const t = useT();
  const { lang } = useLang();
  const draft = useDraft(props.slug);
  const { answers, anonymity, identity, excluded } = draft.value;
  const [invalid, setInvalid] = useState<'what' | 'advisers' | null>(null);
  const whatField = useRef<HTMLTextAreaElement>(null);
  const firstAdviser = useRef<HTMLInputElement>(null);
  const advisers = props.channel.advisers;
  const chosen = advisers.filter((a) => !excluded.includes(a.keyId));

  const submit = async (event: Event) => {
    event.preventDefault();
    if (answers.what.trim() === '') {
      setInvalid('what');
      whatField.current?.focus();
      return;
    }
    if (chosen.length === 0) {
      setInvalid('advisers');
      firstAdviser.current?.focus();
      return;
    }
    setInvalid(null);
    const given: Record<string, string> = {};
    for (const question of QUESTIONS) {
      const answer = answers[question].trim();
      if (answer !== '') given[question] = answer;
    }
    const report: ReportPlaintext = { v: 1, lang, answers: given, anonymity };
    if (anonymity === 'confidential') {
      const known: Record<string, string> = {};
      for (const field of IDENTITY_FIELDS) if (identity[field].trim() !== '') known[field] = identity[field].trim();
      if (Object.keys(known).length > 0) report.identity = known;
    }
    const ids = excluded.length === 0 ? undefined : chosen.map((a) => a.keyId);
    // Once it is sent, nothing of the report stays in the page.
    if (await props.onSubmit(report, ids)) draft.clear();
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <p>{t('reporter.form.intro')}</p>
      <ReporterError error={props.error} />

      {QUESTIONS.map((question) => {
        const id = `report-${question}`;
        const required = question === 'what';
        const describedBy = `${id}-hint${required && invalid === 'what' ? ` ${id}-error` : ''}`;
        const onInput = (event: { currentTarget: { value: string } }) => {
          const text = event.currentTarget.value;
          draft.set((current) => ({ answers: { ...current.answers, [question]: text } }));
          if (required && invalid === 'what') setInvalid(null);
        };
        return (
          <div class="field" key={question}>
            <label for={id}>
              {t(`reporter.field.${question}`)}
              {required ? <span class="required"> {t('reporter.form.required')}</span> : null}
            </label>
            <p class="hint" id={`${id}-hint`}>
              {t(`reporter.field.${question}.hint`)}
            </p>
            {MULTILINE[question] ? (
              <textarea
                id={id}
                ref={required ? whatField : undefined}
                value={answers[question]}
                maxLength={MAX_CHARS[question]}
                aria-describedby={describedBy}
                aria-required={required ? 'true' : undefined}
                aria-invalid={required && invalid === 'what' ? 'true' : undefined}
                onInput={onInput}
              />
            ) : (
              <input
                type="text"
                id={id}
                value={answers[question]}
                maxLength={MAX_CHARS[question]}
                aria-describedby={describedBy}
                autocomplete="off"
                onInput={onInput}
              />
            )}
            {required && invalid === 'what' ? (
              <p class="error" role="alert" id={`${id}-error`}>
                {t('reporter.form.whatMissing')}
              </p>
            ) : null}
          </div>
        );
      })}

      <fieldset>
        <legend>{t('reporter.anonymity.legend')}</legend>
        <label class="choice">
          <input
            type="radio"
            name="anonymity"
            value="anonymous"
            checked={anonymity === 'anonymous'}
            aria-describedby="anonymity-anonymous-hint"
            onChange={() => draft.set({ anonymity: 'anonymous' })}
          />
          <span>
            {t('reporter.anonymity.anonymous')}
            <span class="hint block" id="anonymity-anonymous-hint">
              {t('reporter.anonymity.anonymous.hint')}
            </span>
          </span>
        </label>
        <label class="choice">
          <input
            type="radio"
            name="anonymity"
            value="confidential"
            checked={anonymity === 'confidential'}
            aria-describedby="anonymity-confidential-hint"
            onChange={() => draft.set({ anonymity: 'confidential' })}
          />
          <span>
            {t('reporter.anonymity.confidential')}
            <span class="hint block" id="anonymity-confidential-hint">
              {t('reporter.anonymity.confidential.hint')}
            </span>
          </span>
        </label>
        {anonymity === 'confidential' ? (
          <fieldset class="identity">
            <legend>{t('reporter.identity.legend')}</legend>
            <p class="hint">{t('reporter.identity.hint')}</p>
            <label for="identity-name">{t('reporter.identity.name')}</label>
            <input
              type="text"
              id="identity-name"
              value={identity.name}
              maxLength={200}
              autocomplete="off"
              onInput={(event) => {
                const name = event.currentTarget.value;
                draft.set((current) => ({ identity: { ...current.identity, name } }));
              }}
            />
            <label for="identity-contact">{t('reporter.identity.contact')}</label>
            <p class="hint" id="identity-contact-hint">
              {t('reporter.identity.contact.hint')}
            </p>
            <input
              type="text"
              id="identity-contact"
              value={identity.contact}
              maxLength={500}
              autocomplete="off"
              aria-describedby="identity-contact-hint"
              onInput={(event) => {
                const contact = event.currentTarget.value;
                draft.set((current) => ({ identity: { ...current.identity, contact } }));
              }}
            />
          </fieldset>
        ) : null}
      </fieldset>

      {advisers.length > 1 ? (
        <fieldset aria-describedby={`advisers-hint${invalid === 'advisers' ? ' advisers-error' : ''}`}>
          <legend>{t('reporter.advisers.legend')}</legend>
          <p class="hint" id="advisers-hint">
            {t('reporter.advisers.hint')}
          </p>
          {advisers.map((adviser, index) => (
            <label class="choice" key={adviser.keyId}>
              <input
                type="checkbox"
                ref={index === 0 ? firstAdviser : undefined}
                checked={!excluded.includes(adviser.keyId)}
                onChange={(event) => {
                  const checked = event.currentTarget.checked;
                  draft.set((current) => ({
                    excluded: checked ? current.excluded.filter((id) => id !== adviser.keyId) : [...current.excluded, adviser.keyId],
                  }));
                  if (checked) setInvalid(null);
                }}
              />
              <span>{adviser.name}</span>
            </label>
          ))}
          {invalid === 'advisers' ? (
            <p class="error" role="alert" id="advisers-error">
              {t('reporter.advisers.none')}
            </p>
          ) : null}
        </fieldset>
      ) : advisers.length === 1 ? (
        <>
          <h2 class="small">{t('reporter.advisers.legend')}</h2>
          <p>{t('reporter.advisers.single', { name: advisers[0]?.name ?? '' })}</p>
        </>
      ) : (
        <p class="error" role="alert">
          {t('reporter.landing.who.none')}
        </p>
      )}

      {props.channel.consentRequired ? (
        <div class="panel">
          <p>{t('reporter.consent.required')}</p>
        </div>
      ) : (
        <div class="panel warning" id="consent-notice">
          <h2 class="small">{t('reporter.consent.notRequired.title')}</h2>
          <p>{t('reporter.consent.notRequired')}</p>
        </div>
      )}

      <p>{t('reporter.form.codeNotice')}</p>
      <div class="actions">
        <button type="submit" disabled={advisers.length === 0}>
          {t('reporter.form.submit')}
        </button>
      </div>
    </form>
  );
}

interface Draft {
  answers: Answers;
  anonymity: 'anonymous' | 'confidential';
  identity: Record<IdentityField, string>;
  /** Advisers the reporter unticked; everyone else receives the report. */
  excluded: string[];
}

const EMPTY_DRAFT: Draft = { answers: EMPTY, anonymity: 'anonymous', identity: { name: '', contact: '' }, excluded: [] };

/**
 * The form's content, kept in memory only (module scope, per channel) so that it survives the
 * form being swapped for the progress indication and back after a failure. It never goes to
 * storage; a reload forgets it.
 */
const drafts = new Map<string, Draft>();

function useDraft(slug: string) {
  const [value, setValue] = useState<Draft>(() => drafts.get(slug) ?? EMPTY_DRAFT);
  return {
    value,
    set(change: Partial<Draft> | ((current: Draft) => Partial<Draft>)) {
      setValue((current) => {
        const next = { ...current, ...(typeof change === 'function' ? change(current) : change) };
        drafts.set(slug, next);
        return next;
      });
    },
    clear() {
      drafts.delete(slug);
    },
  };
}
