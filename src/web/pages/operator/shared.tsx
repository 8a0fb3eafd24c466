/**
 * What the operator's console shares: the gate (signed in, an operator, TOTP when required),
 * the account bar, the calls to the API through the worker (which holds the session) and the
 * error text for the codes an operator meets.
 */
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { ConfidantClient, OperatorArgs, OperatorCall, StaffAccount } from '../../../protocol/index.js';
import { call } from '../../crypto.js';
import { Busy, ErrorText, Link, Page } from '../../components/ui.js';
import { useT } from '../../i18n/index.js';
import { setAccount, useResumedAccount } from '../../session.js';
import { errorCode, homeOf } from '../adviser/shared.js';
import { SignedInBar } from '../adviser/gate.js';
import { TotpEnrolment } from '../adviser/totp.js';
import { OPERATOR_EXPLAINED } from './errors.js';

/** One console call: the worker adds the session's token. An ended session signs the page out. */
export async function operatorCall<N extends OperatorCall>(name: N, ...args: OperatorArgs<N>): Promise<Awaited<ReturnType<ConfidantClient[N]>>> {
  try {
    return await call<Awaited<ReturnType<ConfidantClient[N]>>>('operator', [name, args]);
  } catch (error) {
    if (errorCode(error) === 'not_signed_in' || (error as { status?: unknown }).status === 401) setAccount(null);
    throw error;
  }
}

/** The document title follows the page heading. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — Confidant`;
  }, [title]);
}

/** Renders its content for a signed-in operator only. */
export function RequireOperator(props: { children: (account: StaffAccount) => ComponentChildren }) {
  const t = useT();
  const { account, resuming } = useResumedAccount();
  if (resuming) return <Busy />;
  if (!account) {
    return (
      <Page title={t('operator.title')}>
        <p>{t('operator.signedOut')}</p>
        <p>
          <Link href="/login" class="button">
            {t('adviser.signedOut.login')}
          </Link>
        </p>
      </Page>
    );
  }
  if (account.role !== 'operator') {
    return (
      <Page title={t('operator.title')}>
        <p>{t('operator.wrongRole')}</p>
        <p>
          <Link href={homeOf(account)}>{t('operator.wrongRole.link')}</Link>
        </p>
      </Page>
    );
  }
  if (account.totpRequired && !account.totpEnabled) {
    return <TotpEnrolment account={account} required onDone={() => setAccount({ ...account, totpEnabled: true })} />;
  }
  return <>{props.children(account)}</>;
}

/** Who is signed in, the second factor's set-up until it is on, notifications, and the way out: as for advisers. */
export function OperatorBar(props: { account: StaffAccount }) {
  return <SignedInBar account={props.account} offerTotp />;
}

export function OperatorError(props: { error: unknown }) {
  const t = useT();
  if (!props.error) return null;
  const code = errorCode(props.error);
  if (code && OPERATOR_EXPLAINED.has(code)) {
    return (
      <p class="error" role="alert">
        {t(`operator.error.${code}`)}
      </p>
    );
  }
  return <ErrorText error={props.error} />;
}

type Answer<N extends OperatorCall> = Awaited<ReturnType<ConfidantClient[N]>>;

/** Everything the console shows, loaded together and again after each change. */
export interface ConsoleData {
  attention: Answer<'getOperatorAttention'>;
  organisations: Answer<'listOrganisations'>['organisations'];
  channels: Answer<'listOperatorChannels'>['channels'];
  invites: Answer<'listInvites'>['invites'];
  accounts: Answer<'listAccounts'>['accounts'];
}

/** What every section gets: the data, and the way to load it again after a change. */
export interface SectionProps {
  data: ConsoleData;
  reload(): Promise<void>;
}

/** The value of an input or select from its change event. */
export const valueOf = (event: Event): string => (event.target as HTMLInputElement | HTMLSelectElement).value;

/**
 * A list of the console: its caption and column headings (a last, unnamed column for the row's
 * buttons when `actions`), its rows; `empty` instead when there are none.
 */
export function ListTable(props: { caption: string; headings: string[]; actions?: boolean; empty: string; count: number; children: ComponentChildren }) {
  const t = useT();
  if (props.count === 0) return <p>{props.empty}</p>;
  return (
    <div class="table-scroll">
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.headings.map((heading) => (
              <th key={heading} scope="col">
                {heading}
              </th>
            ))}
            {props.actions ? (
              <th scope="col">
                <span class="visually-hidden">{t('operator.actions')}</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
