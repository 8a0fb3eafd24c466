/**
 * The adviser's registration of a case, in the categories of the profession, stored encrypted
 * under the case key (saveRegistration). The annual report counts these.
 */
import { useState } from 'preact/hooks';
import type { OpenedCase } from '../../../protocol/index.js';
import { formatTime } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { useLang, useT } from '../../i18n/index.js';
import { AdviserError, LiveStatus, staffCall } from './shared.js';

/** The categories, as `group/item` values. */
export const CATEGORY_GROUPS = [
  { group: 'ongewenste-omgangsvormen', items: ['seksuele-intimidatie', 'agressie-en-geweld', 'pesten', 'discriminatie'] },
  { group: 'integriteit', items: ['misstand', 'onregelmatigheid', 'andere-integriteitskwestie'] },
] as const;

export const CATEGORIES: readonly string[] = CATEGORY_GROUPS.flatMap((g) => g.items.map((item) => `${g.group}/${item}`));

/** The registration record as stored (the protocol adds `v: 1`). */
export interface Registration {
  categories: string[];
  /** Topics outside the adviser's scope that came up. */
  outsideScope: string;
  /** Where the reporter was referred to. */
  referredTo: string;
}

/** A stored record read back leniently: unknown categories dropped, a single `category` accepted. */
export function readRegistration(value: unknown): Registration {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const listed = Array.isArray(record.categories) ? record.categories : typeof record.category === 'string' ? [record.category] : [];
  return {
    categories: listed.filter((c): c is string => typeof c === 'string' && CATEGORIES.includes(c)),
    outsideScope: typeof record.outsideScope === 'string' ? record.outsideScope : '',
    referredTo: typeof record.referredTo === 'string' ? record.referredTo : '',
  };
}

export function RegistrationForm(props: { opened: OpenedCase }) {
  const t = useT();
  const { lang } = useLang();
  const [record, setRecord] = useState<Registration>(() => readRegistration(props.opened.registration));
  const { busy, error, setError, run } = useAction();
  const [savedAt, setSavedAt] = useState<string | null>(null);

  const toggle = (category: string, on: boolean) =>
    setRecord((r) => ({ ...r, categories: on ? [...r.categories.filter((c) => c !== category), category] : r.categories.filter((c) => c !== category) }));

  const save = async (event: Event) => {
    event.preventDefault();
    setSavedAt(null);
    await run(async () => {
      const ordered = CATEGORIES.filter((c) => record.categories.includes(c));
      const answer = await staffCall<{ updatedAt: string }>('saveRegistration', [
        props.opened.caseId,
        { categories: ordered, outsideScope: record.outsideScope.trim(), referredTo: record.referredTo.trim() },
      ]);
      setSavedAt(answer.updatedAt);
    });
  };

  return (
    <section aria-labelledby="registration-title">
      <h2 id="registration-title">{t('adviser.registration.title')}</h2>
      <p class="hint">{t('adviser.registration.intro')}</p>
      <form onSubmit={(event) => void save(event)}>
        {CATEGORY_GROUPS.map((g) => (
          <fieldset key={g.group}>
            <legend>{t(`adviser.registration.group.${g.group}`)}</legend>
            {g.items.map((item) => {
              const value = `${g.group}/${item}`;
              const id = `registration-${g.group}-${item}`;
              return (
                <label class="choice" for={id} key={value}>
                  <input
                    id={id}
                    type="checkbox"
                    name="categories"
                    value={value}
                    checked={record.categories.includes(value)}
                    onChange={(event) => toggle(value, (event.target as HTMLInputElement).checked)}
                  />
                  <span>{t(`adviser.registration.category.${item}`)}</span>
                </label>
              );
            })}
          </fieldset>
        ))}
        <label for="registration-outside-scope">{t('adviser.registration.outsideScope')}</label>
        <textarea
          id="registration-outside-scope"
          class="small"
          value={record.outsideScope}
          aria-describedby="registration-outside-scope-hint"
          onInput={(event) => setRecord((r) => ({ ...r, outsideScope: (event.target as HTMLTextAreaElement).value }))}
        />
        <p class="hint" id="registration-outside-scope-hint">
          {t('adviser.registration.outsideScopeHint')}
        </p>
        <label for="registration-referred-to">{t('adviser.registration.referredTo')}</label>
        <textarea
          id="registration-referred-to"
          class="small"
          value={record.referredTo}
          aria-describedby="registration-referred-to-hint"
          onInput={(event) => setRecord((r) => ({ ...r, referredTo: (event.target as HTMLTextAreaElement).value }))}
        />
        <p class="hint" id="registration-referred-to-hint">
          {t('adviser.registration.referredToHint')}
        </p>
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('adviser.registration.save')}
          </button>
        </div>
      </form>
      <AdviserError error={error} />
      <LiveStatus message={busy ? t('busy') : savedAt ? t('adviser.registration.saved', { time: formatTime(savedAt, lang) }) : null} />
    </section>
  );
}
