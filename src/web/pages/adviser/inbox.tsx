/** The adviser's cases: one page at a time, overdue first, unread marked, filtered by status. */
import { useEffect, useState } from 'preact/hooks';
import type { CaseList, CaseStatus, CaseSummary, StaffAccount } from '../../../protocol/index.js';
import { Busy, Link, Page, formatDate } from '../../components/ui.js';
import { useLang, useT } from '../../i18n/index.js';
import { AccountBar, RequireAdviser } from './gate.js';
import { caseReference, parseReference } from '../../../protocol/case-reference.js';
import { AdviserError, CASE_PAGE_SIZE, LiveStatus, staffCall } from './shared.js';
import { dayTime } from './deadlines.js';

export const STATUSES: readonly CaseStatus[] = ['received', 'acknowledged', 'in_progress', 'closed'];

/** The page as shown: overdue cases first, otherwise in the server's order. */
export function overdueFirst<T extends { overdue: boolean }>(cases: readonly T[]): T[] {
  return [...cases].sort((a, b) => Number(b.overdue) - Number(a.overdue));
}

/** A reference as typed ("k7m 4qx"), written as the pages write it ("K7M-4QX"). */
function asReference(typed: string): string {
  const symbols = typed.toUpperCase().replace(/[\s-]/g, '');
  return `${symbols.slice(0, 3)}-${symbols.slice(3)}`;
}

/** The deadline that matters now for a case in the list, in words. */
function NextDeadline(props: { item: CaseSummary }) {
  const t = useT();
  const { lang } = useLang();
  const { item } = props;
  const legal =
    item.status === 'closed'
      ? t('adviser.inbox.noDeadline')
      : item.status === 'received'
        ? t('adviser.inbox.acknowledgeBy', { date: formatDate(item.acknowledgeBy, lang) })
        : item.feedbackGivenAt
          ? t('adviser.inbox.feedbackGiven', { date: formatDate(item.feedbackGivenAt, lang) })
          : t('adviser.inbox.feedbackBy', { date: formatDate(item.feedbackBy, lang) });
  return (
    <>
      {legal}
      {item.followUpOn ? <span class="follow-up">{t('adviser.inbox.followUp', { date: formatDate(dayTime(item.followUpOn), lang) })}</span> : null}
      {item.deleteAfter ? <span class="retention">{t('adviser.inbox.deleteOn', { date: formatDate(item.deleteAfter, lang) })}</span> : null}
    </>
  );
}

function Inbox(props: { account: StaffAccount }) {
  const t = useT();
  const { lang } = useLang();
  const [status, setStatus] = useState<CaseStatus | ''>('');
  const [channel, setChannel] = useState('');
  /** The reference searched for, as typed; '' lists every case. */
  const [reference, setReference] = useState('');
  const [typedReference, setTypedReference] = useState('');
  const [referenceError, setReferenceError] = useState(false);
  /** The cursors of the pages seen so far: the first page has none. */
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [list, setList] = useState<CaseList | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [reload, setReload] = useState(0);
  const pageIndex = cursors.length - 1;
  const before = cursors[pageIndex];
  const channelName = new Map(props.account.channels.map((c) => [c.slug, c.name]));

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    staffCall<CaseList>('listCases', [
      { limit: CASE_PAGE_SIZE, ...(status ? { status } : {}), ...(channel ? { channel } : {}), ...(reference ? { reference } : {}), ...(before ? { before } : {}) },
    ])
      .then((result) => live && setList(result))
      .catch((e: unknown) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [status, channel, reference, before, reload]);

  const search = (typed: string) => {
    const wanted = typed.trim();
    if (wanted !== '' && parseReference(wanted) === null) {
      setReferenceError(true);
      return;
    }
    setReferenceError(false);
    setReference(wanted === '' ? '' : asReference(wanted));
    setCursors([undefined]);
  };

  const shown = list ? overdueFirst(list.cases) : [];
  const overdueCount = shown.filter((c) => c.overdue).length;

  return (
    <>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div>
          <label for="inbox-status">{t('adviser.inbox.filterStatus')}</label>
          <select
            id="inbox-status"
            value={status}
            onChange={(event) => {
              setStatus((event.target as HTMLSelectElement).value as CaseStatus | '');
              setCursors([undefined]);
            }}
          >
            <option value="">{t('adviser.inbox.allStatuses')}</option>
            {STATUSES.map((s) => (
              <option value={s} key={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </div>
        {props.account.channels.length > 1 ? (
          <div>
            <label for="inbox-channel">{t('adviser.inbox.filterChannel')}</label>
            <select
              id="inbox-channel"
              value={channel}
              onChange={(event) => {
                setChannel((event.target as HTMLSelectElement).value);
                setCursors([undefined]);
              }}
            >
              <option value="">{t('adviser.inbox.allChannels')}</option>
              {props.account.channels.map((c) => (
                <option value={c.slug} key={c.slug}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div>
          <button type="button" class="secondary" onClick={() => setReload((n) => n + 1)}>
            {t('adviser.refresh')}
          </button>
        </div>
      </form>
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          search(typedReference);
        }}
      >
        <div>
          <label for="inbox-reference">{t('adviser.inbox.searchReference')}</label>
          <input
            id="inbox-reference"
            value={typedReference}
            autoComplete="off"
            spellcheck={false}
            placeholder="K7M-4QX"
            aria-invalid={referenceError ? 'true' : undefined}
            aria-describedby={referenceError ? 'inbox-reference-error' : undefined}
            onInput={(event) => setTypedReference((event.target as HTMLInputElement).value)}
          />
          {referenceError ? (
            <p id="inbox-reference-error" class="error" role="alert">
              {t('adviser.inbox.searchReferenceInvalid')}
            </p>
          ) : null}
        </div>
        <div>
          <button type="submit">{t('adviser.inbox.search')}</button>
          {reference ? (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setTypedReference('');
                search('');
              }}
            >
              {t('adviser.inbox.searchClear')}
            </button>
          ) : null}
        </div>
      </form>
      {reference ? <p class="meta">{t('adviser.inbox.searchingFor', { ref: reference })}</p> : null}
      <p class="hint">{t('adviser.inbox.deadlinesHint')}</p>
      <p>
        <Link href="/contacts/new">{t('adviser.inbox.newContact')}</Link>
        {' · '}
        <Link href="/annual-report">{t('adviser.inbox.annualReport')}</Link>
      </p>

      {loading ? <Busy /> : null}
      <AdviserError error={error} />
      <LiveStatus
        message={
          loading || !list
            ? null
            : shown.length === 0
              ? t(reference ? 'adviser.inbox.noMatch' : 'adviser.inbox.empty')
              : t(overdueCount > 0 ? 'adviser.inbox.summaryOverdue' : 'adviser.inbox.summary', {
                  page: pageIndex + 1,
                  cases: t(shown.length === 1 ? 'adviser.inbox.count.one' : 'adviser.inbox.count.other', { count: shown.length }),
                  overdue: overdueCount,
                })
        }
      />

      {list && shown.length > 0 ? (
        <div class="table-scroll">
          <table>
            <caption>{t('adviser.inbox.caption', { page: pageIndex + 1 })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('adviser.inbox.colCase')}</th>
                <th scope="col">{t('adviser.inbox.colChannel')}</th>
                <th scope="col">{t('adviser.inbox.colStatus')}</th>
                <th scope="col">{t('adviser.inbox.colReceived')}</th>
                <th scope="col">{t('adviser.inbox.colDeadline')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((item) => (
                <tr key={item.caseId} class={item.overdue ? 'row-overdue' : undefined}>
                  <td>
                    <Link href={`/cases/${encodeURIComponent(item.caseId)}`}>{t('adviser.case.name', { ref: caseReference(item.caseId) })}</Link>
                    {item.overdue ? <span class="badge overdue">{t('adviser.badge.overdue')}</span> : null}
                    {item.unread ? <span class="badge unread">{t('adviser.badge.unread')}</span> : null}
                    {item.held ? <span class="badge held">{t('adviser.inbox.held')}</span> : null}
                  </td>
                  <td>{channelName.get(item.channel) ?? item.channel}</td>
                  <td>{t(`status.${item.status}`)}</td>
                  <td>{formatDate(item.receivedAt, lang)}</td>
                  <td>
                    <NextDeadline item={item} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      <nav class="actions" aria-label={t('adviser.inbox.pages')}>
        <button type="button" class="secondary" disabled={pageIndex === 0 || loading} onClick={() => setCursors((c) => c.slice(0, -1))}>
          {t('adviser.inbox.previous')}
        </button>
        <button
          type="button"
          disabled={!list?.next || loading}
          onClick={() => {
            const next = list?.next;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          {t('adviser.inbox.next')}
        </button>
      </nav>
    </>
  );
}

export function InboxPage(_: { params: Record<string, string> }) {
  const t = useT();
  return (
    <Page title={t('adviser.inbox.title')}>
      <AccountBar />
      <RequireAdviser>{(account) => <Inbox account={account} />}</RequireAdviser>
    </Page>
  );
}
