/**
 * Shows a fresh code once: large, copyable, downloadable as a text file, with the warning that
 * it cannot be recovered. Leaving is stopped until the reporter ticks "I have saved my code" and
 * types back the code's last group: practice in reading it, not a test of memory (the code stays
 * in view), so that it is looked at once before the page is left.
 * The code lives only in this component's props and in the DOM: never in the URL, in storage
 * or in a log.
 */
import { useEffect, useState } from 'preact/hooks';
import { useT } from '../../i18n/index.js';
import { symbolsOf } from './code-input.js';
import { useLeaveGuard } from './common.js';

/** The text file the reporter can keep: the code and how to use it, in the page's language. */
function codeFileText(t: ReturnType<typeof useT>, code: string): string {
  return [
    t('reporter.code.file.title'),
    '',
    code,
    '',
    t('reporter.code.file.use', { url: `${location.origin}/mailbox` }),
    t('reporter.code.file.warning'),
    '',
  ].join('\r\n');
}

/** An object URL for the code file, revoked when the code or the language changes. */
function useCodeFileUrl(code: string, text: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const made = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [code, text]);
  return url;
}

export function CodeCard(props: { code: string; onContinue: () => void }) {
  const t = useT();
  const [saved, setSaved] = useState(false);
  const [typed, setTyped] = useState('');
  const lastGroup = props.code.slice(-4);
  const typedBack = symbolsOf(typed).join('') === lastGroup;
  const ready = saved && typedBack;
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  const [blocked, setBlocked] = useState(false);
  const fileUrl = useCodeFileUrl(props.code, codeFileText(t, props.code));
  useLeaveGuard(true, () => setBlocked(true));

  const copyCode = async () => {
    try {
      await navigator.clipboard.writeText(props.code);
      setCopy('copied');
    } catch {
      setCopy('failed');
    }
  };

  return (
    <div class="code-card">
      <h2 id="code-heading">{t('reporter.code.heading')}</h2>
      <p class="code" id="the-code">
        {props.code}
      </p>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void copyCode()}>
          {t('reporter.code.copy')}
        </button>
        {fileUrl ? (
          <a class="button secondary" href={fileUrl} download={t('reporter.code.file.name')}>
            {t('reporter.code.download')}
          </a>
        ) : null}
      </div>
      <p class="hint" aria-live="polite">
        {copy === 'copied' ? t('reporter.code.copied') : copy === 'failed' ? t('reporter.code.copyFailed') : t('reporter.code.downloadHint')}
      </p>
      <div class="panel warning">
        <h3>{t('reporter.code.warning.title')}</h3>
        <p>{t('reporter.code.warning.body')}</p>
        <p>{t('reporter.code.warning.where')}</p>
      </div>
      <label class="choice">
        <input
          type="checkbox"
          checked={saved}
          onChange={(event) => {
            setSaved(event.currentTarget.checked);
            setBlocked(false);
          }}
        />
        <span>{t('reporter.code.saved')}</span>
      </label>
      <label for="code-type-back">{t('reporter.code.typeBack')}</label>
      <input
        id="code-type-back"
        class="short code-input"
        type="text"
        autoComplete="off"
        autoCapitalize="characters"
        spellcheck={false}
        maxLength={9}
        value={typed}
        aria-describedby="code-type-back-hint"
        onInput={(event) => {
          setTyped((event.target as HTMLInputElement).value);
          setBlocked(false);
        }}
      />
      <p id="code-type-back-hint" class={typed !== '' && !typedBack && symbolsOf(typed).length >= 4 ? 'error' : 'hint'} aria-live="polite">
        {typed === '' ? t('reporter.code.typeBackHint') : typedBack ? t('reporter.code.typeBackRight') : t('reporter.code.typeBackNotYet')}
      </p>
      {blocked && !ready ? (
        <p class="error" role="alert">
          {t('reporter.code.leaveBlocked')}
        </p>
      ) : null}
      <div class="actions">
        <button type="button" disabled={!ready} onClick={props.onContinue}>
          {t('reporter.code.continue')}
        </button>
      </div>
    </div>
  );
}
