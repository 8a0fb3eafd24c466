/** The shell: header with the language switch, and the page for the current path. */
import type { ComponentChildren, FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LangContext, addressLang, browserLang, useLang, useT, withLang, type Lang } from './i18n/index.js';
import { match, usePath } from './router.js';
import { Link, withoutWebAssembly } from './components/ui.js';
import { NoWebAssemblyPage, NotFoundPage, StartPage } from './pages/start.js';
import { ReporterLandingPage, ReportFormPage, MailboxPage } from './pages/reporter.js';
import { AnnualReportPage, NewContactPage, InvitePage, LoginPage, InboxPage, CasePage } from './pages/adviser.js';
import { RelayInboxPage, RelayPage } from './pages/organisation.js';
import { NotificationsPage } from './pages/notifications.js';
import { OperatorPage } from './pages/operator/console.js';

type Params = Record<string, string>;
interface Route {
  pattern: string;
  page: FunctionComponent<{ params: Params }>;
  /** Reporter pages carry the quick-exit button. */
  reporter?: boolean;
  /**
   * Staff pages need WebAssembly: their Argon2id (128 MiB, three passes) would take minutes in
   * pure JavaScript without a JIT, so they say so instead (reporter pages work without it).
   */
  staff?: boolean;
}

export const routes: Route[] = [
  { pattern: '/', page: StartPage },
  { pattern: '/c/:slug', page: ReporterLandingPage, reporter: true },
  { pattern: '/c/:slug/report', page: ReportFormPage, reporter: true },
  { pattern: '/mailbox', page: MailboxPage, reporter: true },
  { pattern: '/invite', page: InvitePage, staff: true },
  { pattern: '/login', page: LoginPage, staff: true },
  { pattern: '/inbox', page: InboxPage, staff: true },
  { pattern: '/cases/:caseId', page: CasePage, staff: true },
  { pattern: '/annual-report', page: AnnualReportPage, staff: true },
  { pattern: '/contacts/new', page: NewContactPage, staff: true },
  { pattern: '/relays', page: RelayInboxPage, staff: true },
  { pattern: '/relays/:relayId', page: RelayPage, staff: true },
  { pattern: '/notifications', page: NotificationsPage, staff: true },
  { pattern: '/operator', page: OperatorPage, staff: true },
];

/** Where quick exit goes: a page anyone might have open. */
const QUICK_EXIT_URL = 'https://www.google.com/';
/** Two presses of Escape within this long leave the page; one alone (closing a menu, say) does not. */
const DOUBLE_ESCAPE_MS = 1000;

function leave(): void {
  // Replace, so that Back does not return here.
  location.replace(QUICK_EXIT_URL);
}

/** The quick-exit button, and Escape twice from anywhere on the page. */
function QuickExit() {
  const t = useT();
  useEffect(() => {
    let lastEscape = -Infinity;
    const keydown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      if (event.timeStamp - lastEscape <= DOUBLE_ESCAPE_MS) leave();
      lastEscape = event.timeStamp;
    };
    // Capture, so that no field or widget can keep the key from us.
    document.addEventListener('keydown', keydown, true);
    return () => document.removeEventListener('keydown', keydown, true);
  }, []);
  return (
    <button type="button" class="quick-exit" title={t('quickExit.hint')} onClick={leave}>
      {t('quickExit')}
    </button>
  );
}

function Shell(props: { reporter: boolean; children: ComponentChildren }) {
  const t = useT();
  const { lang, setLang } = useLang();
  return (
    <>
      <header class="top">
        <Link href="/" class="brand">
          {t('app.name')}
        </Link>
        <nav aria-label={t('lang.label')}>
          <button type="button" class="lang" lang={lang === 'nl' ? 'en' : 'nl'} onClick={() => setLang(lang === 'nl' ? 'en' : 'nl')}>
            {t('lang.switch')}
          </button>
          {props.reporter ? <QuickExit /> : null}
        </nav>
      </header>
      <main id="main">{props.children}</main>
    </>
  );
}

export function App() {
  const path = usePath();
  const [lang, setLangState] = useState<Lang>(() => addressLang() ?? browserLang());
  const setLang = (next: Lang) => {
    document.documentElement.lang = next;
    setLangState(next);
    // Kept in the address, not in storage: a reload or a copied link keeps the choice.
    history.replaceState(history.state, '', withLang(`${location.pathname}${location.search}${location.hash}`, next));
  };
  document.documentElement.lang = lang;
  let found: { route: Route; params: Params } | null = null;
  for (const route of routes) {
    const params = match(route.pattern, path);
    if (params) {
      found = { route, params };
      break;
    }
  }
  const PageComponent = found?.route.staff === true && withoutWebAssembly() ? NoWebAssemblyPage : (found?.route.page ?? NotFoundPage);
  return (
    <LangContext.Provider value={{ lang, setLang }}>
      <Shell reporter={found?.route.reporter ?? false}>
        <PageComponent params={found?.params ?? {}} />
      </Shell>
    </LangContext.Provider>
  );
}
