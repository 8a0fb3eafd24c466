import { Link, Page } from '../components/ui.js';
import { useT } from '../i18n/index.js';

export function StartPage() {
  const t = useT();
  return (
    <Page title={t('start.title')}>
      <p>{t('start.body')}</p>
      <p>{t('start.reporterHint')}</p>
      <p>
        {t('start.mailboxHint')} <Link href="/mailbox">{t('nav.mailbox')}</Link>
      </p>
      <p>
        <Link href="/login">{t('nav.staff')}</Link>
      </p>
    </Page>
  );
}

/** Instead of a staff page in a browser without WebAssembly (reporter pages work there). */
export function NoWebAssemblyPage() {
  const t = useT();
  return (
    <Page title={t('noWasm.title')}>
      <p>{t('noWasm.body')}</p>
    </Page>
  );
}

export function NotFoundPage() {
  const t = useT();
  return (
    <Page title={t('notFound.title')}>
      <p>{t('notFound.body')}</p>
    </Page>
  );
}
