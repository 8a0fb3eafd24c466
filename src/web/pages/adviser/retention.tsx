/**
 * The case page's retention section: when the closed case will be deleted, and the legal hold
 * that keeps it (its reason sealed under the case key in the worker).
 */
import { useState } from 'preact/hooks';
import { HOLD_REASON_MAX, type OpenedCase } from '../../../protocol/index.js';
import { formatDate } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { useLang, useT } from '../../i18n/index.js';
import { AdviserError, LiveStatus, staffCall } from './shared.js';

export function RetentionSection(props: { opened: OpenedCase; onOpened(opened: OpenedCase): void }) {
  const t = useT();
  const { lang } = useLang();
  const { opened } = props;
  const { busy, error, setError, run } = useAction();
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<'saved' | 'released' | null>(null);

  const change = async (next: string | null) => {
    setDone(null);
    if (next !== null && !next.trim()) return setError({ code: 'hold_reason_empty' });
    await run(async () => {
      props.onOpened(await staffCall<OpenedCase>('setHold', [opened.caseId, next]));
      setReason('');
      setDone(next === null ? 'released' : 'saved');
    });
  };

  return (
    <section aria-labelledby="retention-title">
      <h2 id="retention-title">{t('adviser.retention.title')}</h2>
      {opened.hold ? (
        <>
          <p>{t('adviser.retention.held', { date: formatDate(opened.hold.heldAt, lang) })}</p>
          <p class="pre">
            {opened.hold.reason === null ? t('adviser.retention.reasonUnreadable') : t('adviser.retention.reason', { reason: opened.hold.reason })}
          </p>
        </>
      ) : opened.deleteAfter ? (
        <p>{t('adviser.retention.deleteOn', { date: formatDate(opened.deleteAfter, lang) })}</p>
      ) : (
        <p class="hint">{t('adviser.retention.whenClosed')}</p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void change(reason);
        }}
      >
        <label for="hold-reason">{t('adviser.retention.reasonLabel')}</label>
        <textarea
          id="hold-reason"
          rows={2}
          maxLength={HOLD_REASON_MAX}
          value={reason}
          aria-describedby="hold-reason-hint"
          onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)}
        />
        <p class="hint" id="hold-reason-hint">
          {t('adviser.retention.reasonHint', { max: String(HOLD_REASON_MAX) })}
        </p>
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(opened.hold ? 'adviser.retention.change' : 'adviser.retention.hold')}
          </button>
          {opened.hold ? (
            <button type="button" class="secondary" disabled={busy} onClick={() => void change(null)}>
              {t('adviser.retention.release')}
            </button>
          ) : null}
        </div>
      </form>
      <AdviserError error={error} />
      <LiveStatus message={busy ? t('busy') : done ? t(`adviser.retention.${done}`) : null} />
    </section>
  );
}
