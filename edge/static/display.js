// The customer display: the open sale as the shopper may see it, live from the change feed.
import { api, renderLines, renderTotals, watchChanges } from './common.js';

const $ = (test) => document.querySelector(`[data-test="${test}"]`);

function render({ sale }) {
  $('display-welcome').hidden = Boolean(sale);
  $('display-sale').hidden = !sale;
  $('display-customer').textContent = sale?.customer ? `Hello, ${sale.customer}` : '';
  if (!sale) return;
  renderLines($('display-lines'), sale);
  renderTotals($('display-totals'), sale);
}

watchChanges(async () => render(await api('GET', '/api/display')));
