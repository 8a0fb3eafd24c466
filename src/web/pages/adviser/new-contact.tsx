/**
 * A contact that did not start on the web form: the EU directive lets a reporter report by phone
 * or in a meeting, with minutes they can check, correct and approve. The adviser writes the
 * minutes here; the worker makes the case as a reporter's client would (StaffSession.recordContact)
 * and, unless the contact stays advice-only, returns a fresh code to hand over on paper or by
 * voice. With it the reporter reads the minutes in the mailbox and approves or corrects them.
 */
import { useState } from 'preact/hooks';
import type { StaffAccount } from '../../../protocol/index.js';
import { CONTACT_KINDS, emptyRegistration, type Registration } from '../../../protocol/registration.js';
import { caseReference } from '../../../protocol/case-reference.js';
import { Busy, Link, Page } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { useLang, useT } from '../../i18n/index.js';
import { AccountBar, RequireAdviser } from './gate.js';
import { AdviserError, staffCall } from './shared.js';

/** The ways a contact reaches the adviser besides the form. */
const SPOKEN = ['phone', 'meeting', 'email', 'other'] as const;

interface Recorded {
  caseId: string;
  code: string | null;
}

/** The code to hand over: large, and printable on its own sheet. */
function HandOver(props: { recorded: Recorded }) {
  const t = useT();
  const { recorded } = props;
  return (
    <section class="panel" aria-labelledby="contact-done-title">
      <h2 id="contact-done-title">{t('adviser.contact.doneTitle', { ref: caseReference(recorded.caseId) })}</h2>
      {recorded.code ? (
        <>
          <p>{t('adviser.contact.codeIntro')}</p>
          <p class="code" data-testid="contact-code">
            {recorded.code}
          </p>
          <p class="print-only">{t('adviser.contact.codeSheet', { url: `${location.origin}/mailbox` })}</p>
          <p class="hint no-print">{t('adviser.contact.codeWarning')}</p>
          <div class="actions no-print">
            <button type="button" class="secondary" onClick={() => window.print()}>
              {t('adviser.contact.print')}
            </button>
          </div>
        </>
      ) : (
        <p>{t('adviser.contact.adviceOnly')}</p>
      )}
      <p class="no-print">
        <Link href={`/cases/${encodeURIComponent(recorded.caseId)}`}>{t('adviser.contact.openCase')}</Link>
      </p>
    </section>
  );
}

function NewContact(props: { account: StaffAccount }) {
  const t = useT();
  const { lang } = useLang();
  const channels = props.account.channels;
  const [channel, setChannel] = useState(channels[0]?.slug ?? '');
  const [contactBy, setContactBy] = useState<(typeof SPOKEN)[number]>('phone');
  const [kind, setKind] = useState<NonNullable<Registration['kind']>>('report');
  const [minutes, setMinutes] = useState('');
  const [mailbox, setMailbox] = useState(true);
  const [stage, setStage] = useState<string | null>(null);
  const [recorded, setRecorded] = useState<Recorded | null>(null);
  const { busy, error, setError, run } = useAction();

  const record = async (event: Event) => {
    event.preventDefault();
    if (!minutes.trim()) return setError({ code: 'contact_minutes_empty' });
    await run(async () => {
      const registration: Registration = { ...emptyRegistration(), kind, contactBy };
      setRecorded(await staffCall<Recorded>('recordContact', [{ channel, lang, minutes: minutes.trim(), registration, mailbox }], setStage));
      setMinutes('');
    });
    setStage(null);
  };

  if (recorded) return <HandOver recorded={recorded} />;
  return (
    <>
      <p class="no-print">
        <Link href="/inbox">{t('adviser.case.back')}</Link>
      </p>
      <p class="hint">{t('adviser.contact.intro')}</p>
      <form onSubmit={(event) => void record(event)} noValidate>
        {channels.length > 1 ? (
          <>
            <label for="contact-channel">{t('adviser.contact.channel')}</label>
            <select id="contact-channel" value={channel} onChange={(event) => setChannel((event.target as HTMLSelectElement).value)}>
              {channels.map((c) => (
                <option value={c.slug} key={c.slug}>
                  {c.name}
                </option>
              ))}
            </select>
          </>
        ) : null}
        <fieldset>
          <legend>{t('adviser.registration.contactBy')}</legend>
          {SPOKEN.map((way) => (
            <label class="choice" for={`contact-by-${way}`} key={way}>
              <input id={`contact-by-${way}`} type="radio" name="contact-by" checked={contactBy === way} onChange={() => setContactBy(way)} />
              <span>{t(`adviser.registration.contactBy.${way}`)}</span>
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('adviser.registration.kind')}</legend>
          {CONTACT_KINDS.map((k) => (
            <label class="choice" for={`contact-kind-${k}`} key={k}>
              <input id={`contact-kind-${k}`} type="radio" name="contact-kind" checked={kind === k} onChange={() => setKind(k)} />
              <span>{t(`adviser.registration.kind.${k}`)}</span>
            </label>
          ))}
        </fieldset>
        <label for="contact-minutes">{t('adviser.contact.minutes')}</label>
        <textarea id="contact-minutes" class="tall" value={minutes} aria-describedby="contact-minutes-hint" onInput={(event) => setMinutes((event.target as HTMLTextAreaElement).value)} />
        <p class="hint" id="contact-minutes-hint">
          {t('adviser.contact.minutesHint')}
        </p>
        <fieldset>
          <legend>{t('adviser.contact.mailbox')}</legend>
          <label class="choice" for="contact-mailbox-code">
            <input id="contact-mailbox-code" type="radio" name="contact-mailbox" checked={mailbox} onChange={() => setMailbox(true)} />
            <span>{t('adviser.contact.mailboxCode')}</span>
          </label>
          <label class="choice" for="contact-mailbox-none">
            <input id="contact-mailbox-none" type="radio" name="contact-mailbox" checked={!mailbox} onChange={() => setMailbox(false)} />
            <span>{t('adviser.contact.mailboxNone')}</span>
          </label>
        </fieldset>
        <p class="hint">{t('adviser.contact.onlyYou')}</p>
        <div class="actions">
          <button type="submit" disabled={busy || channels.length === 0}>
            {t('adviser.contact.record')}
          </button>
        </div>
      </form>
      {busy ? <Busy stage={stage} /> : null}
      <AdviserError error={error} />
    </>
  );
}

export function NewContactPage(_: { params: Record<string, string> }) {
  const t = useT();
  return (
    <Page title={t('adviser.contact.title')}>
      <div class="no-print">
        <AccountBar />
      </div>
      <RequireAdviser>{(account) => <NewContact account={account} />}</RequireAdviser>
    </Page>
  );
}
