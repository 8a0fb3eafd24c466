/** Sign-in: user name and passphrase, and the TOTP code once the server asks for it. */
import { useState } from 'preact/hooks';
import type { StaffAccount } from '../../../protocol/index.js';
import { Busy, Link, Page } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { call } from '../../crypto.js';
import { useT } from '../../i18n/index.js';
import { navigate } from '../../router.js';
import { setAccount, useResumedAccount } from '../../session.js';
import { AdviserError, errorCode, homeOf } from './shared.js';
import { AccountBar } from './gate.js';
import { RecoverForm } from './recover.js';
import { TotpEnrolment } from './totp.js';

export function LoginPage(_: { params: Record<string, string> }) {
  const t = useT();
  // A reloaded sign-in page finds a session another tab left, and says so.
  const { account: current } = useResumedAccount();
  const [username, setUsername] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const { busy, error, setError, run } = useAction();
  const [stage, setStage] = useState<string | null>(null);
  /** Signed in, but the installation requires TOTP and it is not on yet. */
  const [enrol, setEnrol] = useState<StaffAccount | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!username.trim() || !passphrase) return setError({ code: 'login_missing' });
    const code = totp.replace(/\s/g, '');
    if (askTotp && !/^\d{6}$/.test(code)) return setError({ code: 'totp_format' });
    await run(async () => {
      try {
        const account = await call<StaffAccount>('signIn', [username.trim(), passphrase, askTotp ? code : undefined], setStage);
        setPassphrase('');
        setTotp('');
        setAccount(account);
        if (account.totpRequired && !account.totpEnabled) setEnrol(account);
        else navigate(homeOf(account));
      } catch (e) {
        if (askTotp) setTotp('');
        if (errorCode(e) !== 'totp_required') throw e;
        // Not a failure: the account asks for its second factor.
        setAskTotp(true);
        // Focus the new field once it is in the page.
        setTimeout(() => document.getElementById('login-totp')?.focus(), 0);
      }
    });
    setStage(null);
  };

  if (enrol) {
    return (
      <Page title={t('adviser.login.title')}>
        <AccountBar offerTotp={false} />
        <TotpEnrolment account={enrol} required onDone={() => {
          const account = { ...enrol, totpEnabled: true };
          setAccount(account);
          navigate(homeOf(account));
        }} />
      </Page>
    );
  }

  return (
    <Page title={t('adviser.login.title')}>
      <AccountBar />
      {current ? (
        <p>
          <Link href={homeOf(current)}>{t({ adviser: 'adviser.login.toInbox', recipient: 'adviser.login.toRelays', operator: 'adviser.login.toConsole' }[current.role])}</Link>
        </p>
      ) : null}
      <p>{t('adviser.login.intro')}</p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <label for="login-username">{t('adviser.username')}</label>
        <input
          id="login-username"
          type="text"
          autoComplete="username"
          autoCapitalize="none"
          spellcheck={false}
          value={username}
          onInput={(event) => setUsername((event.target as HTMLInputElement).value)}
        />
        <label for="login-passphrase">{t('adviser.passphrase')}</label>
        <input
          id="login-passphrase"
          type="password"
          autoComplete="current-password"
          value={passphrase}
          onInput={(event) => setPassphrase((event.target as HTMLInputElement).value)}
        />
        {askTotp ? (
          <>
            <label for="login-totp">{t('adviser.login.totp')}</label>
            <input
              id="login-totp"
              class="short"
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={7}
              value={totp}
              aria-describedby="login-totp-hint"
              onInput={(event) => setTotp((event.target as HTMLInputElement).value)}
            />
            <p class="hint" id="login-totp-hint">
              {t('adviser.login.totpHint')}
            </p>
          </>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('adviser.login.submit')}
          </button>
        </div>
      </form>
      <div role="status" aria-live="polite" class="live">
        {askTotp && !error ? <p>{t('adviser.login.totpAsked')}</p> : null}
      </div>
      {busy ? <Busy stage={stage} /> : null}
      <AdviserError error={error} />
      <RecoverForm />
    </Page>
  );
}
