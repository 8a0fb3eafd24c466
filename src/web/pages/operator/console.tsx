/**
 * The operator's console (/operator): organisations, channels, invites and accounts of the
 * installation, read and changed through /api/v1/operator/… The operator never sees a case.
 */
import { useEffect, useState } from 'preact/hooks';
import type { StaffAccount } from '../../../protocol/index.js';
import { Busy, Page } from '../../components/ui.js';
import { useT } from '../../i18n/index.js';
import { AccountsSection } from './accounts.js';
import { AttentionSection } from './attention.js';
import { ChannelsSection } from './channels.js';
import { InvitesSection } from './invites.js';
import { OrganisationsSection } from './organisations.js';
import { OperatorBar, OperatorError, RequireOperator, operatorCall, useTitle, type ConsoleData } from './shared.js';

export function OperatorPage(_: { params: Record<string, string> }) {
  return <RequireOperator>{(account) => <Console account={account} />}</RequireOperator>;
}

function Console(props: { account: StaffAccount }) {
  const t = useT();
  useTitle(t('operator.title'));
  const [data, setData] = useState<ConsoleData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = async () => {
    try {
      const [attention, organisations, channels, invites, accounts] = await Promise.all([
        operatorCall('getOperatorAttention'),
        operatorCall('listOrganisations'),
        operatorCall('listOperatorChannels'),
        operatorCall('listInvites'),
        operatorCall('listAccounts'),
      ]);
      setData({ attention, organisations: organisations.organisations, channels: channels.channels, invites: invites.invites, accounts: accounts.accounts });
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    void reload();
  }, []);
  return (
    <Page title={t('operator.title')}>
      <OperatorBar account={props.account} />
      <p>{t('operator.intro')}</p>
      <OperatorError error={error} />
      {data ? (
        <>
          <AttentionSection data={data} />
          <OrganisationsSection data={data} reload={reload} />
          <ChannelsSection data={data} reload={reload} />
          <InvitesSection data={data} reload={reload} />
          <AccountsSection data={data} reload={reload} me={props.account.username} />
        </>
      ) : error ? null : (
        <Busy />
      )}
    </Page>
  );
}
