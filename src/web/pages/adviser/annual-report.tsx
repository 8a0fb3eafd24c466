/**
 * The annual report (jaarverslag): the adviser picks a period and channels; the worker fetches
 * and decrypts every registration and returns suppressed tables (protocol/annual-report). The
 * page shows them as charts and tables beside the previous period, with the adviser's own
 * narrative, prints as an A4 report and exports the tables as CSV.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AnnualReportText, StaffAccount } from '../../../protocol/index.js';
import { LOCATION_TABLE, NOT_RECORDED, REMOVED_LOCATION, type PublishedCountTable, type PublishedPeriod, type PublishedReport } from '../../../protocol/annual-report/aggregate.js';
import { DEFAULT_THRESHOLD, formatShown, type Shown } from '../../../protocol/annual-report/suppression.js';
import { relayReference } from '../../../protocol/case-reference.js';
import { Busy, Link, Page, formatDate, formatTime } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { useLang, useT } from '../../i18n/index.js';
import { AccountBar, RequireAdviser } from './gate.js';
import { RelayReaders, sameReaders, type ShownRecipients } from './relay.js';
import { AdviserError, LiveStatus, staffCall } from './shared.js';
import { reportCsv } from './annual-report-csv.js';

type Translate = ReturnType<typeof useT>;

/** Where a table's row labels live in the catalogue (most reuse the registration form's). */
const ROW_LABELS: Record<string, string> = {
  kind: 'adviser.registration.kind.',
  contactBy: 'adviser.registration.contactBy.',
  track: 'adviser.annual.track.',
  categories: 'adviser.registration.category.',
  sources: 'adviser.registration.source.',
  actions: 'adviser.registration.action.',
  referredTo: 'adviser.registration.referral.',
  support: 'adviser.registration.supportKind.',
  supportOutcome: 'adviser.registration.supportOutcome.',
  aftercare: 'adviser.annual.aftercare.',
  outsideScope: 'adviser.registration.outside.',
  outcome: 'adviser.registration.outcome.',
  acknowledgement: 'adviser.annual.timeliness.',
  feedback: 'adviser.annual.timeliness.',
};

/**
 * A row's name. `labels` are the names the report itself carries (the location table's rows come
 * from the channels' own lists, not from the catalogue).
 */
export function rowLabel(t: Translate, table: string, key: string, labels?: Record<string, string>): string {
  if (key === NOT_RECORDED) return t('adviser.registration.notRecorded');
  if (table === LOCATION_TABLE) {
    if (key === REMOVED_LOCATION) return t('adviser.annual.location.removed');
    return labels && Object.hasOwn(labels, key) ? (labels[key] as string) : key;
  }
  if (table === 'quarter') {
    const [year, quarter] = key.split('-');
    return t('adviser.annual.quarter', { year: year ?? '', quarter: (quarter ?? '').slice(1) });
  }
  return t(`${ROW_LABELS[table] ?? ''}${key}`);
}

/** The default period: last year until the end of March (when the report is written), else this year. */
function defaultYear(now = new Date()): number {
  // UTC, like the period it picks.
  return now.getUTCMonth() < 3 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
}

const yearPeriod = (year: number) => ({ from: new Date(Date.UTC(year, 0, 1)).toISOString(), to: new Date(Date.UTC(year + 1, 0, 1)).toISOString() });

/** A custom period from two calendar days, both inclusive. */
function dayPeriod(from: string, to: string) {
  const end = new Date(`${to}T00:00:00Z`);
  end.setUTCDate(end.getUTCDate() + 1);
  return { from: new Date(`${from}T00:00:00Z`).toISOString(), to: end.toISOString() };
}

const NARRATIVE = ['observations', 'recommendations', 'prevention'] as const;
type Narrative = AnnualReportText['narrative'];

export interface AnnualReportResult {
  report: PublishedReport;
  /** Registrations that could not be read (not opened by this adviser, or damaged). */
  unread: number;
}

const valueOf = (shown: Shown) => (shown.kind === 'count' ? shown.value : null);

function ReportChart(props: { table: PublishedCountTable; previous: PublishedCountTable | undefined; t: Translate }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { table, previous, t } = props;
  const { lang } = useLang();
  useEffect(() => {
    let remove: (() => void) | null = null;
    let live = true;
    void import('./charts.js').then(({ drawBars }) => {
      if (!live || !canvas.current) return;
      const series = [{ label: t('adviser.annual.thisPeriod'), values: table.rows.map((r) => valueOf(r.shown)) }];
      if (previous && table.id !== 'quarter') series.push({ label: t('adviser.annual.previousPeriod'), values: previous.rows.map((r) => valueOf(r.shown)) });
      remove = drawBars(canvas.current, table.rows.map((r) => rowLabel(t, table.id, r.key, table.labels)), series, { print: false });
    });
    return () => {
      live = false;
      remove?.();
    };
  }, [table, previous, lang]);
  // Room per bar, so long labels stay readable.
  const height = `chart-rows-${Math.min(table.rows.length, 16)}`;
  return (
    <div class={`chart ${height}`}>
      <canvas ref={canvas} role="img" aria-label={t('adviser.annual.chartLabel', { title: t(`adviser.annual.table.${table.id}`) })} />
    </div>
  );
}

function ReportTable(props: { table: PublishedCountTable; previous: PublishedCountTable | undefined; t: Translate }) {
  const { table, previous, t } = props;
  const titleId = `annual-table-${table.id}`;
  const comparable = previous !== undefined && table.id !== 'quarter';
  return (
    <section class="annual-table" aria-labelledby={titleId}>
      <h3 id={titleId}>{t(`adviser.annual.table.${table.id}`)}</h3>
      {table.additive ? null : <p class="hint">{t('adviser.annual.severalRows')}</p>}
      <ReportChart table={table} previous={previous} t={t} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t(`adviser.annual.table.${table.id}`)}</th>
            <th scope="col" class="number">{t('adviser.annual.thisPeriod')}</th>
            {comparable ? <th scope="col" class="number">{t('adviser.annual.previousPeriod')}</th> : null}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, i) => (
            <tr key={row.key}>
              <th scope="row">{rowLabel(t, table.id, row.key, table.labels)}</th>
              <td class="number">{formatShown(row.shown)}</td>
              {comparable ? <td class="number">{previous.rows[i] ? formatShown(previous.rows[i].shown) : ''}</td> : null}
            </tr>
          ))}
        </tbody>
        {table.additive ? (
          <tfoot>
            <tr>
              <th scope="row">{t('adviser.annual.total')}</th>
              <td class="number">{formatShown(table.total)}</td>
              {comparable ? <td class="number">{formatShown(previous.total)}</td> : null}
            </tr>
          </tfoot>
        ) : null}
      </table>
    </section>
  );
}

/** The groups of tables, in the order of the handbook's annual report. */
const SECTIONS: ReadonlyArray<{ id: string; tables: readonly string[] }> = [
  { id: 'contacts', tables: ['kind', 'contactBy', 'quarter'] },
  { id: 'subjects', tables: ['track', 'categories', 'sources', LOCATION_TABLE, 'outsideScope'] },
  { id: 'work', tables: ['actions', 'referredTo', 'support', 'supportOutcome', 'aftercare', 'outcome'] },
  { id: 'deadlines', tables: ['acknowledgement', 'feedback'] },
];

function periodText(period: PublishedPeriod['period'], lang: string): string {
  const last = new Date(new Date(period.to).getTime() - 1).toISOString();
  return `${formatDate(period.from, lang)} – ${formatDate(last, lang)}`;
}

/** The published report: title, headline, the suppression notice and every table. The adviser's page and the organisation's relay page show the same. */
export function PublishedReportView(props: { report: PublishedReport; channels: string[]; unread?: number }) {
  const t = useT();
  const { lang } = useLang();
  const { report } = props;
  const { current, previous } = report;
  const suppressed = current.tables.some((table) => table.suppressed) || previous.tables.some((table) => table.suppressed);
  return (
    <>
      <h2 id="annual-title">{t('adviser.annual.reportTitle', { period: periodText(current.period, lang) })}</h2>
      <p>{t('adviser.annual.channels', { channels: props.channels.join(', ') })}</p>
      <p class="annual-headline">{headline(report, t, lang)}</p>
      {suppressed ? <p class="panel annual-suppression">{t('adviser.annual.suppressed', { threshold: report.threshold })}</p> : null}
      {props.unread ? <p class="panel warning">{t('adviser.annual.unread', { count: props.unread })}</p> : null}
      <p class="hint">{t('adviser.annual.responseTimesHint')}</p>
      {SECTIONS.map((section) => (
        <section key={section.id} aria-labelledby={`annual-section-${section.id}`}>
          <h2 id={`annual-section-${section.id}`}>{t(`adviser.annual.section.${section.id}`)}</h2>
          {section.tables.map((id) => {
            const table = current.tables.find((x) => x.id === id);
            return table ? <ReportTable key={id} table={table} previous={previous.tables.find((x) => x.id === id)} t={t} /> : null;
          })}
        </section>
      ))}
    </>
  );
}

function headline(report: PublishedReport, t: Translate, lang: string): string {
  const { current, previous } = report;
  const cases = t('adviser.annual.headline', { cases: formatShown(current.cases), previous: formatShown(previous.cases), period: periodText(previous.period, lang) });
  return current.hours !== null ? `${cases} ${t('adviser.annual.hours', { hours: current.hours })}` : cases;
}

/** The report as plain text, the relay's `body`: what a client that does not render the tables shows. */
export function reportText(text: AnnualReportText, t: Translate, lang: string): string {
  const { report, narrative } = text;
  const lines = [t('adviser.annual.reportTitle', { period: periodText(report.current.period, lang) }), t('adviser.annual.channels', { channels: text.channels.join(', ') }), headline(report, t, lang), ''];
  for (const table of report.current.tables) {
    lines.push(`${t(`adviser.annual.table.${table.id}`)}:`);
    for (const row of table.rows) lines.push(`  ${rowLabel(t, table.id, row.key, table.labels)}: ${formatShown(row.shown)}`);
    if (table.additive) lines.push(`  ${t('adviser.annual.total')}: ${formatShown(table.total)}`);
  }
  for (const part of NARRATIVE) if (narrative[part].trim()) lines.push('', `${t(`adviser.annual.narrative.${part}`)}:`, narrative[part].trim());
  return lines.join('\n');
}

/** The adviser's commentary as the organisation reads it. */
export function NarrativeView(props: { narrative: Narrative }) {
  const t = useT();
  const parts = NARRATIVE.filter((part) => props.narrative[part].trim() !== '');
  if (parts.length === 0) return null;
  return (
    <section aria-labelledby="annual-narrative-title">
      <h2 id="annual-narrative-title">{t('adviser.annual.narrative')}</h2>
      {parts.map((part) => (
        <div key={part}>
          <h3>{t(`adviser.annual.narrative.${part}`)}</h3>
          <p class="pre">{props.narrative[part]}</p>
        </div>
      ))}
    </section>
  );
}

function Report(props: { result: AnnualReportResult; channels: string[]; organisations: string[]; narrative: Narrative; onNarrative: (n: Narrative) => void }) {
  const t = useT();
  const { report, unread } = props.result;
  const csvUrl = useCsvUrl(props.result, t);
  const year = new Date(report.current.period.from).getUTCFullYear();
  return (
    <article class="annual-report" aria-labelledby="annual-title">
      <PublishedReportView report={report} channels={props.channels} unread={unread} />
      <section aria-labelledby="annual-narrative-title">
        <h2 id="annual-narrative-title">{t('adviser.annual.narrative')}</h2>
        {NARRATIVE.map((part) => (
          <div key={part}>
            <label for={`annual-${part}`}>{t(`adviser.annual.narrative.${part}`)}</label>
            <textarea
              id={`annual-${part}`}
              class="no-print"
              value={props.narrative[part]}
              onInput={(event) => props.onNarrative({ ...props.narrative, [part]: (event.target as HTMLTextAreaElement).value })}
            />
            {/* A textarea prints clipped: the print shows its text instead. */}
            <p class="pre print-only">{props.narrative[part]}</p>
          </div>
        ))}
      </section>
      <div class="actions no-print">
        <button type="button" onClick={() => window.print()}>
          {t('adviser.annual.print')}
        </button>
        {csvUrl ? (
          <a class="button secondary" href={csvUrl} download={`jaarverslag-${year}.csv`}>
            {t('adviser.annual.csv')}
          </a>
        ) : null}
      </div>
      <SendToOrganisation text={{ report, channels: props.channels, narrative: props.narrative }} organisations={props.organisations} />
    </article>
  );
}

/**
 * Sends the report to the organisation as a relay of kind annual report: sealed to the
 * recipients the adviser sees here with their fingerprints (and the adviser), sent at once. Only
 * a report over one organisation's channels can go: another organisation's numbers are not theirs.
 */
function SendToOrganisation(props: { text: AnnualReportText; organisations: string[] }) {
  const t = useT();
  const { lang } = useLang();
  const organisation = props.organisations.length === 1 ? (props.organisations[0] ?? null) : null;
  const [holders, setHolders] = useState<ShownRecipients | null>(null);
  const [sent, setSent] = useState<{ relayId: string; sentAt: string } | null>(null);
  const { busy, error, setError, run } = useAction();

  useEffect(() => {
    if (organisation === null) return;
    let live = true;
    staffCall<ShownRecipients>('annualReportRecipients', [organisation])
      .then((shown) => live && setHolders(shown))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [organisation]);

  if (organisation === null) return <p class="hint no-print">{t('adviser.annual.sendOneOrganisation')}</p>;
  const noRecipient = holders !== null && holders.recipients.length === 0;

  const send = async () => {
    setSent(null);
    await run(async () => {
      // Seal only to readers the adviser has seen: when the list changed since, show it first.
      const fresh = await staffCall<ShownRecipients>('annualReportRecipients', [organisation]);
      if (!sameReaders(fresh, holders)) {
        setHolders(fresh);
        setError({ code: 'relay_readers_changed' });
        return;
      }
      const body = reportText(props.text, t, lang);
      const answer = await staffCall<{ relayId: string; sentAt: string }>('sendAnnualReport', [organisation, { v: 1, body, annualReport: props.text }, fresh]);
      setSent(answer);
    });
  };

  return (
    <section class="no-print" aria-labelledby="annual-send-title">
      <h2 id="annual-send-title">{t('adviser.annual.send')}</h2>
      <p>{t('adviser.annual.sendIntro')}</p>
      {holders && holders.recipients.length > 0 ? <RelayReaders holders={holders} /> : null}
      {noRecipient ? <p class="panel warning">{t('adviser.relay.noRecipient')}</p> : null}
      <div class="actions">
        <button type="button" disabled={busy || holders === null || noRecipient} onClick={() => void send()}>
          {t('adviser.annual.sendButton')}
        </button>
      </div>
      <AdviserError error={error} />
      <LiveStatus
        message={busy ? t('progress.sending') : sent ? t('adviser.annual.sent', { ref: relayReference(sent.relayId), time: formatTime(sent.sentAt, lang) }) : null}
      />
    </section>
  );
}

/**
 * A blob: address of the CSV, made again (and the old one revoked) only when the report or the
 * language changes: `t` is a new function at every render, so it is not what the effect follows.
 */
function useCsvUrl(result: AnnualReportResult, t: Translate): string | null {
  const { lang } = useLang();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const labels = (table: string) => result.report.current.tables.find((x) => x.id === table)?.labels;
    const made = URL.createObjectURL(new Blob([reportCsv(result.report, (table, key) => rowLabel(t, table, key, labels(table)), t)], { type: 'text/csv;charset=utf-8' }));
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [result, lang]);
  return url;
}

function AnnualReport(props: { account: StaffAccount }) {
  const t = useT();
  const channels = props.account.channels;
  const [year, setYear] = useState(defaultYear());
  const [custom, setCustom] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [chosen, setChosen] = useState<string[]>(channels.map((c) => c.slug));
  const [threshold, setThreshold] = useState(DEFAULT_THRESHOLD);
  const [stage, setStage] = useState<string | null>(null);
  const [result, setResult] = useState<{ result: AnnualReportResult; channels: string[]; organisations: string[] } | null>(null);
  const [narrative, setNarrative] = useState<Narrative>({ observations: '', recommendations: '', prevention: '' });
  const { busy, error, setError, run } = useAction();
  const thisYear = new Date().getUTCFullYear();
  const years = Array.from({ length: 8 }, (_, i) => thisYear - i);
  // While the adviser picks the period, the worker readies its second thread; a failure here
  // only means the report runs on one thread.
  useEffect(() => {
    staffCall('prepareAnnualReport', []).catch(() => undefined);
  }, []);

  const make = async (event: Event) => {
    event.preventDefault();
    if (chosen.length === 0) return setError({ code: 'annual_no_channel' });
    if (custom && (!from || !to || to < from)) return setError({ code: 'annual_bad_period' });
    if (!Number.isInteger(threshold) || threshold < 3) return setError({ code: 'annual_bad_threshold' });
    const period = custom ? dayPeriod(from, to) : yearPeriod(year);
    await run(async () => {
      setResult(null);
      const made = await staffCall<AnnualReportResult>('annualReport', [{ ...period, channels: chosen, threshold }], setStage);
      const picked = channels.filter((c) => chosen.includes(c.slug));
      setResult({ result: made, channels: picked.map((c) => c.name), organisations: [...new Set(picked.map((c) => c.organisation))] });
    });
    setStage(null);
  };

  return (
    <>
      <p class="no-print">
        <Link href="/inbox">{t('adviser.case.back')}</Link>
      </p>
      <p class="hint no-print">{t('adviser.annual.intro')}</p>
      <form class="no-print annual-form" onSubmit={(event) => void make(event)} noValidate>
        <fieldset>
          <legend>{t('adviser.annual.period')}</legend>
          <label for="annual-year">{t('adviser.annual.year')}</label>
          <select id="annual-year" value={year} disabled={custom} onChange={(event) => setYear(Number((event.target as HTMLSelectElement).value))}>
            {years.map((y) => (
              <option value={y} key={y}>
                {y}
              </option>
            ))}
          </select>
          <label class="choice" for="annual-custom">
            <input id="annual-custom" type="checkbox" checked={custom} onChange={(event) => setCustom((event.target as HTMLInputElement).checked)} />
            <span>{t('adviser.annual.custom')}</span>
          </label>
          {custom ? (
            <div class="registration-row">
              <div>
                <label for="annual-from">{t('adviser.annual.from')}</label>
                <input id="annual-from" type="date" value={from} onInput={(event) => setFrom((event.target as HTMLInputElement).value)} />
              </div>
              <div>
                <label for="annual-to">{t('adviser.annual.to')}</label>
                <input id="annual-to" type="date" value={to} onInput={(event) => setTo((event.target as HTMLInputElement).value)} />
              </div>
            </div>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>{t('adviser.annual.channelsLegend')}</legend>
          {channels.map((c) => (
            <label class="choice" for={`annual-channel-${c.slug}`} key={c.slug}>
              <input
                id={`annual-channel-${c.slug}`}
                type="checkbox"
                checked={chosen.includes(c.slug)}
                onChange={(event) =>
                  setChosen((now) => ((event.target as HTMLInputElement).checked ? [...now, c.slug] : now.filter((s) => s !== c.slug)))
                }
              />
              <span>{c.name}</span>
            </label>
          ))}
        </fieldset>
        <label for="annual-threshold">{t('adviser.annual.threshold')}</label>
        <input
          id="annual-threshold"
          type="number"
          min={3}
          max={50}
          class="registration-minutes"
          value={threshold}
          aria-describedby="annual-threshold-hint"
          onInput={(event) => setThreshold((event.target as HTMLInputElement).valueAsNumber)}
        />
        <p class="hint" id="annual-threshold-hint">
          {t('adviser.annual.thresholdHint')}
        </p>
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('adviser.annual.make')}
          </button>
        </div>
      </form>
      {busy ? <Busy stage={stage} /> : null}
      <AdviserError error={error} />
      <LiveStatus message={result ? t('adviser.annual.ready') : null} />
      {result ? (
        <Report result={result.result} channels={result.channels} organisations={result.organisations} narrative={narrative} onNarrative={setNarrative} />
      ) : null}
    </>
  );
}

export function AnnualReportPage(_: { params: Record<string, string> }) {
  const t = useT();
  return (
    <Page title={t('adviser.annual.title')}>
      <div class="no-print">
        <AccountBar />
      </div>
      <RequireAdviser>{(account) => <AnnualReport account={account} />}</RequireAdviser>
    </Page>
  );
}
