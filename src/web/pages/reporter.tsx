/**
 * The reporter's pages: the channel's landing page, the report form with the code page, and
 * the mailbox opened with the code. Each lives in pages/reporter/.
 */
export { ReporterLandingPage } from './reporter/landing.js';
export { ReportFormPage } from './reporter/form.js';
export { MailboxPage } from './reporter/mailbox.js';
