/** The organisation's relay inbox: the relays sent to it, newest first, a page at a time. */
import { useEffect, useState } from 'preact/hooks';
import { relayReference } from '../../../protocol/case-reference.js';
import type { StaffAccount } from '../../../protocol/index.js';
import { call } from '../../crypto.js';
import { useLang, useT } from '../../i18n/index.js';
import { Busy, ErrorText, Link, Page, formatTime } from '../../components/ui.js';
import { AccountBar, RecipientOnly, failWith, useTitle, type Params } from './shared.js';

/** How many relays one page shows. */
export const PAGE_SIZE = 20;

interface RelayListItem {
  relayId: string;
  kind: 'case' | 'annual_report';
  state: 'sent';
  sentAt: string;
  readAt: string | null;
  lastMessage: { author: 'adviser' | 'organisation'; sentAt: string } | null;
}

type ListState = 'new' | 'read' | 'answered' | 'answeredRead' | 'waiting';

/** Where a relay stands for this recipient: new to them, answered by the adviser since they last looked, or waiting. */
export function listState(relay: Pick<RelayListItem, 'readAt' | 'lastMessage'>): ListState {
  const { readAt, lastMessage } = relay;
  if (lastMessage?.author === 'adviser') return readAt === null || lastMessage.sentAt > readAt ? 'answered' : 'answeredRead';
  if (readAt === null) return 'new';
  return lastMessage?.author === 'organisation' ? 'waiting' : 'read';
}

interface RelayListPage {
  relays: RelayListItem[];
  next: string | null;
}

function Inbox(props: { account: StaffAccount }) {
  const t = useT();
  const { lang } = useLang();
  useTitle(t('organisation.inbox.title'));
  // The cursors of the pages seen so far; the last one is the page shown ('' is the first page).
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState<RelayListPage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const before = cursors[cursors.length - 1] ?? '';

  useEffect(() => {
    let live = true;
    setPage(null);
    setError(null);
    call<RelayListPage>('listRelays', [{ ...(before ? { before } : {}), limit: PAGE_SIZE }]).then(
      (found) => live && setPage(found),
      (failure: unknown) => live && failWith(failure, setError),
    );
    return () => {
      live = false;
    };
  }, [cursors]);

  const pageNumber = cursors.length;
  return (
    <Page title={t('organisation.inbox.title')}>
      <AccountBar account={props.account} />
      <p>{t('organisation.inbox.intro')}</p>
      <ErrorText error={error} />
      {!page && !error ? <Busy /> : null}
      {page && page.relays.length === 0 ? (
        <p class="panel org-empty">{pageNumber === 1 ? t('organisation.inbox.empty') : t('organisation.inbox.emptyPage')}</p>
      ) : null}
      {page && page.relays.length > 0 ? (
        <table class="org-relays">
          <caption class="visually-hidden">{t('organisation.inbox.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('organisation.inbox.relay')}</th>
              <th scope="col">{t('organisation.inbox.sentAt')}</th>
              <th scope="col">{t('organisation.inbox.state')}</th>
            </tr>
          </thead>
          <tbody>
            {page.relays.map((relay) => {
              const state = listState(relay);
              return (
                <tr key={relay.relayId} class={state === 'new' || state === 'answered' ? 'row-new' : undefined}>
                  <td>
                    <Link href={`/relays/${encodeURIComponent(relay.relayId)}`}>{t(relay.kind === 'annual_report' ? 'organisation.inbox.openAnnual' : 'organisation.inbox.open', { ref: relayReference(relay.relayId) })}
                    </Link>
                  </td>
                  <td>
                    <time dateTime={relay.sentAt}>{formatTime(relay.sentAt, lang)}</time>
                  </td>
                  <td>
                    <span class={`badge relay-list-${state}`}>{t(`organisation.inbox.state.${state}`)}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {page && (pageNumber > 1 || page.next) ? (
        <nav class="actions org-pages" aria-label={t('organisation.inbox.pagination')}>
          {pageNumber > 2 ? (
            <button type="button" class="secondary" onClick={() => setCursors([''])}>
              {t('organisation.inbox.first')}
            </button>
          ) : null}
          {pageNumber > 1 ? (
            <button type="button" class="secondary" onClick={() => setCursors(cursors.slice(0, -1))}>
              {t('organisation.inbox.previous')}
            </button>
          ) : null}
          {page.next ? (
            <button type="button" onClick={() => page.next && setCursors([...cursors, page.next])}>
              {t('organisation.inbox.next')}
            </button>
          ) : null}
        </nav>
      ) : null}
      <p class="meta" aria-live="polite">
        {page && (pageNumber > 1 || page.next) ? t('organisation.inbox.page', { n: pageNumber }) : ''}
      </p>
    </Page>
  );
}

export function RelayInboxPage(_props: Params) {
  return <RecipientOnly>{(account) => <Inbox account={account} />}</RecipientOnly>;
}
