/** Entry of the browser app: renders the shell into the page. No inline script exists anywhere. */
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
