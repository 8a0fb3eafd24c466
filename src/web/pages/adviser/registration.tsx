/**
 * The adviser's registration of a case: the record of protocol/registration.ts as a form a busy
 * adviser fills in within two minutes: closed lists to tick, the track's categories only, support
 * steps and follow-ups as rows. Stored encrypted under the case key; the annual report counts it.
 */
import { useState } from 'preact/hooks';
import type { OpenedCase } from '../../../protocol/index.js';
import {
  ACTIONS, CATEGORIES, CONTACT_CHANNELS, CONTACT_KINDS, emptyRegistration, FOLLOW_UP_KINDS, nextFollowUp, NOTES_MAX, OUTCOMES, OUTSIDE_SCOPE, REFERRALS, SOURCES,
  SUPPORT_KINDS, SUPPORT_OUTCOMES, TRACKS, type FollowUp, type Registration, type Support
} from '../../../protocol/registration.js';
import { formatTime } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { useLang, useT } from '../../i18n/index.js';
import { useAccount } from '../../session.js';
import { AdviserError, LiveStatus, staffCall } from './shared.js';

type Translate = ReturnType<typeof useT>;

/** One question answered by ticking: radios for one answer (with "not recorded"), checkboxes for several. */
function Choices<T extends string>(props: {
  name: string;
  legend: string;
  values: readonly T[];
  /** The catalogue key of a value's label. */
  label: (value: T) => string;
  selected: readonly T[];
  multiple: boolean;
  onChange: (selected: T[]) => void;
  t: Translate;
}) {
  const { name, values, selected, multiple, onChange, t } = props;
  const pick = (value: T, on: boolean) => {
    if (!multiple) return onChange(on ? [value] : []);
    onChange(values.filter((v) => (v === value ? on : selected.includes(v))));
  };
  return (
    <fieldset class="registration-choices">
      <legend>{props.legend}</legend>
      {values.map((value) => {
        const id = `registration-${name}-${value}`;
        return (
          <label class="choice" for={id} key={value}>
            <input
              id={id}
              type={multiple ? 'checkbox' : 'radio'}
              name={`registration-${name}`}
              value={value}
              checked={selected.includes(value)}
              onChange={(event) => pick(value, (event.target as HTMLInputElement).checked)}
            />
            <span>{t(props.label(value))}</span>
          </label>
        );
      })}
      {multiple ? null : (
        <label class="choice" for={`registration-${name}-none`}>
          <input id={`registration-${name}-none`} type="radio" name={`registration-${name}`} value="" checked={selected.length === 0} onChange={() => onChange([])} />
          <span>{t('adviser.registration.notRecorded')}</span>
        </label>
      )}
    </fieldset>
  );
}

/**
 * The department or location, from the channel's own list (the operator's, in the signed-in
 * account). A stored id no longer on the list stays, marked as removed, so that saving does not
 * change it unasked. Shown when there is a list, or a stored id to keep or clear.
 */
function LocationChoice(props: { channel: string; stored: string | null; value: string | null; onChange: (id: string | null) => void; t: Translate }) {
  const { stored, value, t } = props;
  const account = useAccount();
  // `?? []`: an account resumed from before the lists existed has none.
  const listed = account?.channels.find((c) => c.slug === props.channel)?.locations ?? [];
  const removed = stored !== null && !listed.some((l) => l.id === stored) ? stored : null;
  if (listed.length === 0 && removed === null) return null;
  return (
    <div class="registration-location">
      <label for="registration-location">{t('adviser.registration.location')}</label>
      <select id="registration-location" value={value ?? ''} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value || null)}>
        <option value="">{t('adviser.registration.notRecorded')}</option>
        {listed.map((l) => (
          <option value={l.id} key={l.id}>
            {l.name}
          </option>
        ))}
        {removed === null ? null : (
          <option value={removed} key={`removed-${removed}`}>
            {t('adviser.registration.locationRemoved', { id: removed })}
          </option>
        )}
      </select>
    </div>
  );
}

const one = <T,>(value: T | null): T[] => (value === null ? [] : [value]);
const first = <T,>(values: T[]): T | null => values[0] ?? null;
const dayOrNull = (value: string) => (value === '' ? null : value);

function SupportRows(props: { rows: Support[]; onChange: (rows: Support[]) => void; t: Translate }) {
  const { rows, onChange, t } = props;
  const set = (i: number, change: Partial<Support>) => onChange(rows.map((row, j) => (j === i ? { ...row, ...change } : row)));
  return (
    <fieldset>
      <legend>{t('adviser.registration.support')}</legend>
      <p class="hint">{t('adviser.registration.supportHint')}</p>
      {rows.map((row, i) => (
        <div class="registration-row" key={i}>
          <div>
            <label for={`registration-support-${i}-kind`}>{t('adviser.registration.supportKind')}</label>
            <select id={`registration-support-${i}-kind`} value={row.kind} onChange={(e) => set(i, { kind: (e.target as HTMLSelectElement).value as Support['kind'] })}>
              {SUPPORT_KINDS.map((k) => (
                <option value={k} key={k}>
                  {t(`adviser.registration.supportKind.${k}`)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for={`registration-support-${i}-started`}>{t('adviser.registration.startedOn')}</label>
            <input id={`registration-support-${i}-started`} type="date" value={row.startedOn ?? ''} onInput={(e) => set(i, { startedOn: dayOrNull((e.target as HTMLInputElement).value) })} />
          </div>
          <div>
            <label for={`registration-support-${i}-ended`}>{t('adviser.registration.endedOn')}</label>
            <input id={`registration-support-${i}-ended`} type="date" value={row.endedOn ?? ''} onInput={(e) => set(i, { endedOn: dayOrNull((e.target as HTMLInputElement).value) })} />
          </div>
          <div>
            <label for={`registration-support-${i}-outcome`}>{t('adviser.registration.supportOutcome')}</label>
            <select id={`registration-support-${i}-outcome`} value={row.outcome} onChange={(e) => set(i, { outcome: (e.target as HTMLSelectElement).value as Support['outcome'] })}>
              {SUPPORT_OUTCOMES.map((o) => (
                <option value={o} key={o}>
                  {t(`adviser.registration.supportOutcome.${o}`)}
                </option>
              ))}
            </select>
          </div>
          <button type="button" class="secondary" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            {t('adviser.registration.remove')}
          </button>
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange([...rows, { kind: 'informal-solution', startedOn: null, endedOn: null, outcome: 'pending' }])}>
        {t('adviser.registration.addSupport')}
      </button>
    </fieldset>
  );
}

function FollowUpRows(props: { rows: FollowUp[]; onChange: (rows: FollowUp[]) => void; t: Translate }) {
  const { rows, onChange, t } = props;
  const set = (i: number, change: Partial<FollowUp>) => onChange(rows.map((row, j) => (j === i ? { ...row, ...change } : row)));
  const today = new Date().toISOString().slice(0, 10);
  return (
    <fieldset>
      <legend>{t('adviser.registration.followUps')}</legend>
      <p class="hint">{t('adviser.registration.followUpsHint')}</p>
      {rows.map((row, i) => (
        <div class="registration-row" key={i}>
          <div>
            <label for={`registration-follow-up-${i}-on`}>{t('adviser.registration.followUpOn')}</label>
            <input id={`registration-follow-up-${i}-on`} type="date" required value={row.on} onInput={(e) => set(i, { on: (e.target as HTMLInputElement).value })} />
          </div>
          <div>
            <label for={`registration-follow-up-${i}-kind`}>{t('adviser.registration.followUpKind')}</label>
            <select id={`registration-follow-up-${i}-kind`} value={row.kind} onChange={(e) => set(i, { kind: (e.target as HTMLSelectElement).value as FollowUp['kind'] })}>
              {FOLLOW_UP_KINDS.map((k) => (
                <option value={k} key={k}>
                  {t(`adviser.registration.followUpKind.${k}`)}
                </option>
              ))}
            </select>
          </div>
          <label class="choice" for={`registration-follow-up-${i}-done`}>
            <input id={`registration-follow-up-${i}-done`} type="checkbox" checked={row.done} onChange={(e) => set(i, { done: (e.target as HTMLInputElement).checked })} />
            <span>{t('adviser.registration.followUpDone')}</span>
          </label>
          <button type="button" class="secondary" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            {t('adviser.registration.remove')}
          </button>
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange([...rows, { on: today, kind: 'aftercare', done: false }])}>
        {t('adviser.registration.addFollowUp')}
      </button>
    </fieldset>
  );
}

export function RegistrationForm(props: { opened: OpenedCase; onSaved: (followUpOn: string | null) => void }) {
  const t = useT();
  const { lang } = useLang();
  const [record, setRecord] = useState<Registration>(() => props.opened.registration ?? emptyRegistration());
  const { busy, error, run } = useAction();
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const change = (part: Partial<Registration>) => setRecord((r) => ({ ...r, ...part }));

  const setTrack = (track: Registration['track']) =>
    // Categories belong to a track: those of another track go when the track changes.
    setRecord((r) => ({ ...r, track, categories: track === null ? [] : r.categories.filter((c) => (CATEGORIES[track] as readonly string[]).includes(c)) }));
  const setActions = (actions: Registration['actions']) =>
    setRecord((r) => ({ ...r, actions, referredTo: actions.includes('referred') ? r.referredTo : [] }));

  const save = async (event: Event) => {
    event.preventDefault();
    setSavedAt(null);
    await run(async () => {
      const saved = { ...record, notes: record.notes.trim() };
      const answer = await staffCall<{ updatedAt: string }>('saveRegistration', [props.opened.caseId, saved]);
      setSavedAt(answer.updatedAt);
      props.onSaved(nextFollowUp(saved));
    });
  };

  return (
    <section aria-labelledby="registration-title">
      <h2 id="registration-title">{t('adviser.registration.title')}</h2>
      <p class="hint">{t('adviser.registration.intro')}</p>
      {props.opened.registrationUnreadable ? <p class="panel warning">{t('adviser.registration.unreadable')}</p> : null}
      <form onSubmit={(event) => void save(event)} class="registration">
        <div class="registration-grid">
          <Choices name="kind" legend={t('adviser.registration.kind')} values={CONTACT_KINDS} label={(v) => `adviser.registration.kind.${v}`}
            selected={one(record.kind)} multiple={false} onChange={(v) => change({ kind: first(v) })} t={t} />
          <Choices name="contact-by" legend={t('adviser.registration.contactBy')} values={CONTACT_CHANNELS} label={(v) => `adviser.registration.contactBy.${v}`}
            selected={one(record.contactBy)} multiple={false} onChange={(v) => change({ contactBy: first(v) })} t={t} />
          <Choices name="track" legend={t('adviser.registration.track')} values={TRACKS} label={(v) => `adviser.registration.track.${v}`}
            selected={one(record.track)} multiple={false} onChange={(v) => setTrack(first(v))} t={t} />
          {record.track === null ? (
            <p class="hint registration-choices">{t('adviser.registration.categoriesAfterTrack')}</p>
          ) : (
            <Choices name="categories" legend={t('adviser.registration.categories')} values={CATEGORIES[record.track]} label={(v) => `adviser.registration.category.${v}`}
              selected={record.categories} multiple onChange={(v) => change({ categories: v })} t={t} />
          )}
          <Choices name="sources" legend={t('adviser.registration.sources')} values={SOURCES} label={(v) => `adviser.registration.source.${v}`}
            selected={record.sources} multiple onChange={(v) => change({ sources: v })} t={t} />
          <LocationChoice channel={props.opened.channel} stored={props.opened.registration?.location ?? null} value={record.location}
            onChange={(location) => change({ location })} t={t} />
          <Choices name="actions" legend={t('adviser.registration.actions')} values={ACTIONS} label={(v) => `adviser.registration.action.${v}`}
            selected={record.actions} multiple onChange={setActions} t={t} />
          {record.actions.includes('referred') ? (
            <Choices name="referred-to" legend={t('adviser.registration.referredTo')} values={REFERRALS} label={(v) => `adviser.registration.referral.${v}`}
              selected={record.referredTo} multiple onChange={(v) => change({ referredTo: v })} t={t} />
          ) : null}
          <Choices name="outside-scope" legend={t('adviser.registration.outsideScope')} values={OUTSIDE_SCOPE} label={(v) => `adviser.registration.outside.${v}`}
            selected={record.outsideScope} multiple onChange={(v) => change({ outsideScope: v })} t={t} />
          <Choices name="outcome" legend={t('adviser.registration.outcome')} values={OUTCOMES} label={(v) => `adviser.registration.outcome.${v}`}
            selected={one(record.outcome)} multiple={false} onChange={(v) => change({ outcome: first(v) })} t={t} />
        </div>
        <SupportRows rows={record.support} onChange={(support) => change({ support })} t={t} />
        <FollowUpRows rows={record.followUps} onChange={(followUps) => change({ followUps })} t={t} />
        <label for="registration-minutes">{t('adviser.registration.minutes')}</label>
        <input
          id="registration-minutes"
          type="number"
          min={0}
          max={100000}
          step={5}
          inputMode="numeric"
          class="registration-minutes"
          value={record.minutes ?? ''}
          onInput={(event) => {
            const value = (event.target as HTMLInputElement).valueAsNumber;
            change({ minutes: Number.isFinite(value) ? Math.max(0, Math.round(value)) : null });
          }}
        />
        <label for="registration-notes">{t('adviser.registration.notes')}</label>
        <textarea
          id="registration-notes"
          class="small"
          maxLength={NOTES_MAX}
          value={record.notes}
          aria-describedby="registration-notes-hint"
          onInput={(event) => change({ notes: (event.target as HTMLTextAreaElement).value })}
        />
        <p class="hint" id="registration-notes-hint">
          {t('adviser.registration.notesHint')}
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
