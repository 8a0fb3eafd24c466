/** A forgotten passphrase: the recovery key from the set-up opens the keys, and a new passphrase seals them. */
import { useState } from 'preact/hooks';
import { Busy } from '../../components/ui.js';
import { call } from '../../crypto.js';
import { useT } from '../../i18n/index.js';
import { MIN_PASSPHRASE_LENGTH } from './strength.js';
import { StrengthIndicator } from './invite.js';
import { AdviserError, LiveStatus, errorCode } from './shared.js';

export function RecoverForm() {
  const t = useT();
  const [username, setUsername] = useState('');
  const [recoveryKey, setRecoveryKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [stage, setStage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!username.trim() || !recoveryKey.trim()) return setError({ code: 'recovery_missing' });
    if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return setError({ code: 'passphrase_short' });
    if (passphrase !== repeat) return setError({ code: 'passphrase_mismatch' });
    const code = totp.replace(/\s/g, '');
    if (askTotp && !/^\d{6}$/.test(code)) return setError({ code: 'totp_format' });
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await call('recoverAccount', [username.trim(), recoveryKey.trim(), passphrase, askTotp ? code : undefined], setStage);
      setDone(true);
      setRecoveryKey('');
      setPassphrase('');
      setRepeat('');
      setTotp('');
    } catch (e) {
      const failed = errorCode(e);
      if (failed === 'totp_required') setAskTotp(true);
      else if (failed === 'decrypt_failed' || failed === 'bad_recovery_key' || failed === 'bad_length') setError({ code: 'recovery_failed' });
      else setError(e);
    } finally {
      setBusy(false);
      setStage(null);
    }
  };

  return (
    <details class="recover">
      <summary>{t('adviser.recover.summary')}</summary>
      <p>{t('adviser.recover.intro')}</p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <label for="recover-username">{t('adviser.username')}</label>
        <input id="recover-username" type="text" autoComplete="username" autoCapitalize="none" spellcheck={false} value={username} onInput={(event) => setUsername((event.target as HTMLInputElement).value)} />
        <label for="recover-key">{t('adviser.recover.key')}</label>
        <input id="recover-key" type="text" autoComplete="off" autoCapitalize="characters" spellcheck={false} value={recoveryKey} onInput={(event) => setRecoveryKey((event.target as HTMLInputElement).value)} />
        <label for="recover-passphrase">{t('adviser.recover.newPassphrase')}</label>
        <input
          id="recover-passphrase"
          type="password"
          autoComplete="new-password"
          value={passphrase}
          aria-describedby="recover-passphrase-strength"
          onInput={(event) => setPassphrase((event.target as HTMLInputElement).value)}
        />
        <StrengthIndicator passphrase={passphrase} id="recover-passphrase-strength" />
        <label for="recover-repeat">{t('adviser.invite.repeat')}</label>
        <input id="recover-repeat" type="password" autoComplete="new-password" value={repeat} onInput={(event) => setRepeat((event.target as HTMLInputElement).value)} />
        {askTotp ? (
          <>
            <label for="recover-totp">{t('adviser.login.totp')}</label>
            <input id="recover-totp" class="short" type="text" inputMode="numeric" autoComplete="one-time-code" maxLength={7} value={totp} onInput={(event) => setTotp((event.target as HTMLInputElement).value)} />
          </>
        ) : null}
        <div class="actions">
          <button type="submit" class="secondary" disabled={busy}>
            {t('adviser.recover.submit')}
          </button>
        </div>
      </form>
      {busy ? <Busy stage={stage} /> : null}
      <AdviserError error={error} />
      <LiveStatus message={done ? t('adviser.recover.done') : askTotp && !error && !busy ? t('adviser.login.totpAsked') : null} />
    </details>
  );
}
