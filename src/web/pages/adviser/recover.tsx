/** A forgotten passphrase: the recovery key from the set-up opens the keys, and a new passphrase seals them. */
import { useState } from 'preact/hooks';
import { Busy } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { call } from '../../crypto.js';
import { useT } from '../../i18n/index.js';
import { MIN_PASSPHRASE_LENGTH } from './strength.js';
import { NewPassphraseFields } from './new-passphrase.js';
import { AdviserError, LiveStatus, errorCode } from './shared.js';

export function RecoverForm() {
  const t = useT();
  const [username, setUsername] = useState('');
  const [recoveryKey, setRecoveryKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const { busy, error, setError, run } = useAction();
  const [stage, setStage] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!username.trim() || !recoveryKey.trim()) return setError({ code: 'recovery_missing' });
    if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return setError({ code: 'passphrase_short' });
    if (passphrase !== repeat) return setError({ code: 'passphrase_mismatch' });
    const code = totp.replace(/\s/g, '');
    if (askTotp && !/^\d{6}$/.test(code)) return setError({ code: 'totp_format' });
    setDone(false);
    await run(async () => {
      try {
        await call('recoverAccount', [username.trim(), recoveryKey.trim(), passphrase, askTotp ? code : undefined], setStage);
      } catch (e) {
        const failed = errorCode(e);
        // Not a failure: the account asks for its second factor.
        if (failed === 'totp_required') return setAskTotp(true);
        if (failed === 'decrypt_failed' || failed === 'bad_recovery_key' || failed === 'bad_length') throw { code: 'recovery_failed' };
        throw e;
      }
      setDone(true);
      setRecoveryKey('');
      setPassphrase('');
      setRepeat('');
      setTotp('');
    });
    setStage(null);
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
        <NewPassphraseFields
          ids={{ passphrase: 'recover-passphrase', repeat: 'recover-repeat' }}
          label={t('adviser.recover.newPassphrase')}
          passphrase={passphrase}
          repeat={repeat}
          onPassphrase={setPassphrase}
          onRepeat={setRepeat}
        />
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
