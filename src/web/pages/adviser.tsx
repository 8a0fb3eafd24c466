/**
 * The adviser's pages: accepting an invite, signing in, the inbox of cases and one case. Each
 * lives in ./adviser/; this module keeps the exports the router expects.
 */
export { InvitePage } from './adviser/invite.js';
export { LoginPage } from './adviser/login.js';
export { InboxPage } from './adviser/inbox.js';
export { CasePage } from './adviser/case.js';
export { AnnualReportPage } from './adviser/annual-report.js';
export { NewContactPage } from './adviser/new-contact.js';
