/**
 * A staff member's e-mail notifications, for advisers, organisation recipients and operators: the
 * address, the mail's language, and (not for operators) mail right after an event, opt-in, with
 * the leak it brings said beside it. The daily digest needs no choice: it comes to every address.
 */
import { useEffect, useState } from 'preact/hooks';
import type { NotificationSettingsView, StaffAccount } from '../../protocol/index.js';
import { Busy, ErrorText, Link, Page } from '../components/ui.js';
import { useAction } from '../components/use-action.js';
import { useT } from '../i18n/index.js';
import { useResumedAccount } from '../session.js';
import { AccountBar as AdviserBar } from './adviser/gate.js';
import { errorCode, homeOf, LiveStatus, staffCall } from './adviser/shared.js';
import { OperatorBar } from './operator/shared.js';
import { AccountBar as RecipientBar } from './organisation/shared.js';

function SettingsForm(props: { account: StaffAccount }) {
  const t = useT();
  const [view, setView] = useState<NotificationSettingsView | null>(null);
  const [email, setEmail] = useState('');
  const [lang, setLang] = useState<'nl' | 'en'>('nl');
  const [immediate, setImmediate] = useState(false);
  const operator = props.account.role === 'operator';
  const [saved, setSaved] = useState(false);
  const load = useAction();
  const save = useAction();

  const show = (settings: NotificationSettingsView) => {
    setView(settings);
    setEmail(settings.email ?? '');
    setLang(settings.lang);
    setImmediate(settings.immediate);
  };

  useEffect(() => {
    void load.run(async () => show(await staffCall<NotificationSettingsView>('notificationSettings')));
  }, [props.account.id]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const address = email.trim();
    const ok = await save.run(async () => show(await staffCall<NotificationSettingsView>('setNotificationSettings', [{ email: address === '' ? null : address, lang, immediate: address !== '' && immediate }])));
    setSaved(ok);
  };

  if (!view) return load.error ? <ErrorText error={load.error} /> : <Busy />;
  const invalidEmail = errorCode(save.error) === 'invalid_email';
  return (
    <form noValidate onSubmit={(event) => void submit(event)}>
      <p>{t(operator ? 'staff.notifications.operatorIntro' : 'staff.notifications.intro')}</p>
      {view.mailConfigured ? null : <p class="panel">{t('staff.notifications.off')}</p>}
      <label for="notify-email">{t('staff.notifications.email')}</label>
      <input
        id="notify-email"
        type="email"
        autocomplete="email"
        maxLength={254}
        value={email}
        aria-invalid={invalidEmail ? 'true' : undefined}
        aria-describedby="notify-email-hint"
        onInput={(event) => setEmail((event.target as HTMLInputElement).value)}
      />
      <p class="hint" id="notify-email-hint">
        {t('staff.notifications.emailHint')}
      </p>
      <label for="notify-lang">{t('staff.notifications.lang')}</label>
      <select id="notify-lang" value={lang} onChange={(event) => setLang((event.target as HTMLSelectElement).value === 'en' ? 'en' : 'nl')}>
        <option value="nl">Nederlands</option>
        <option value="en">English</option>
      </select>
      {view.digestTime ? <p>{t(operator ? 'staff.notifications.operatorDigest' : 'staff.notifications.digest', { time: view.digestTime })}</p> : null}
      {operator ? null : (
        <>
          <label class="choice" for="notify-immediate">
            <input
              id="notify-immediate"
              type="checkbox"
              checked={immediate}
              disabled={email.trim() === ''}
              aria-describedby="notify-immediate-hint"
              onChange={(event) => setImmediate((event.target as HTMLInputElement).checked)}
            />
            <span>{t('staff.notifications.immediate')}</span>
          </label>
          <p class="hint" id="notify-immediate-hint">
            {t('staff.notifications.immediateHint')}
          </p>
          {view.digestOnlyChannels.length > 0 ? (
            <p class="notice" data-testid="digest-only">
              {t('staff.notifications.digestOnly', { channels: view.digestOnlyChannels.join(', ') })}
            </p>
          ) : null}
        </>
      )}
      <div class="actions">
        <button type="submit" disabled={save.busy}>
          {t('staff.notifications.save')}
        </button>
      </div>
      {invalidEmail ? (
        <p class="error" role="alert">
          {t('staff.notifications.invalidEmail')}
        </p>
      ) : (
        <ErrorText error={save.error} />
      )}
      <LiveStatus message={save.busy ? t('busy') : saved ? t('staff.notifications.saved') : null} />
    </form>
  );
}

export function NotificationsPage() {
  const t = useT();
  const { account, resuming } = useResumedAccount();
  return (
    <Page title={t('staff.notifications.title')}>
      {account?.role === 'recipient' ? <RecipientBar account={account} /> : account?.role === 'operator' ? <OperatorBar account={account} /> : <AdviserBar />}
      {resuming ? <Busy /> : null}
      {!resuming && !account ? (
        <p>
          <Link href="/login">{t('nav.staff')}</Link>
        </p>
      ) : null}
      {account ? (
        <>
          <SettingsForm account={account} />
          <p>
            <Link href={homeOf(account)}>{t('staff.notifications.back')}</Link>
          </p>
        </>
      ) : null}
    </Page>
  );
}
