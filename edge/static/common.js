// What the cashier's kiosk and the customer display share: money and weight formatting,
// the JSON API, the change feed, and how a basket is drawn.

// Integer minor units to text with the store currency, like shared/money.py's format_money:
// integer division and remainder only, never float arithmetic.
export function formatMoney(minor, currency) {
  if (!Number.isSafeInteger(minor)) return '—';
  const exponent = currency?.exponent ?? 2;
  const base = 10 ** exponent;
  const abs = Math.abs(minor);
  const fraction = abs % base;
  const units = (abs - fraction) / base;
  const text = exponent ? `${units}.${String(fraction).padStart(exponent, '0')}` : String(units);
  return `${minor < 0 ? '-' : ''}${currency?.symbol ?? ''}${text}`;
}

export function formatWeight(grams) {
  const rest = grams % 1000;
  return `${(grams - rest) / 1000}.${String(rest).padStart(3, '0')} kg`;
}

// A refusal from the till: its status and JSON body ({error, ...details}).
export class ApiError extends Error {
  constructor(status, data) {
    super(data.error || `HTTP ${status}`);
    this.status = status;
    this.data = data;
  }
}

async function send(path, options) {
  try {
    return await fetch(path, options);
  } catch {
    throw new ApiError(0, { error: 'The till is not answering: check that it is running.' });
  }
}

const unexpected = (status) => new ApiError(status, {
  error: `Unexpected answer from the till (HTTP ${status}).` });

// The till's refusal: its JSON body ({error, ...details}).
async function refusal(response) {
  try {
    return new ApiError(response.status, await response.json());
  } catch {
    return unexpected(response.status);
  }
}

export async function api(method, path, body) {
  const options = { method, cache: 'no-store', headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body ?? {});
  }
  const response = await send(path, options);
  if (!response.ok) throw await refusal(response);
  try {
    return await response.json();
  } catch {
    throw unexpected(response.status);
  }
}

// A binary answer of the till (an image) as a Blob; refusals as for `api`.
export async function apiBlob(path) {
  const response = await send(path, { cache: 'no-store' });
  if (!response.ok) throw await refusal(response);
  return response.blob();
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// Long-polls /api/changes forever and awaits onChange({version, notice}) on every change
// (and once at the start), so hardware scans and other screens show up at once.
export async function watchChanges(onChange) {
  let since = -1;
  for (;;) {
    try {
      const change = await api('GET', `/api/changes?since=${since}&timeout=25`);
      if (change.version !== since) {
        await onChange(change);
        since = change.version; // not before: a failed onChange is tried again
      }
    } catch {
      await sleep(2000);
    }
  }
}

// A DOM element: h('button', {class: 'x', test: 'pay', onclick: f}, 'Pay').
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'test') element.dataset.test = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined
                                          && child !== false));
  return element;
}

function lineQuantity(line, currency) {
  if (line.weight_g !== null) {
    return [formatWeight(line.weight_g), `@ ${formatMoney(line.unit_price, currency)}/kg`];
  }
  return [`${line.qty} ×`, `@ ${formatMoney(line.unit_price, currency)}`];
}

// One basket line as a list item, with its discounts (promotion names) underneath.
function lineItem(line, currency, onTap) {
  const [quantity, unit] = lineQuantity(line, currency);
  const row = h('div', { class: 'line-row' },
    h('span', { class: 'line-qty', test: 'line-qty' }, quantity),
    h('span', { class: 'line-name', test: 'line-name' }, line.name,
      line.price_override !== null ? h('span', { class: 'tag' }, 'price changed') : null),
    h('span', { class: 'line-unit' }, unit),
    h('span', { class: 'line-amount', test: 'line-amount' },
      line.voided ? 'void' : formatMoney(line.base, currency)));
  const discounts = line.voided ? [] : (line.discounts ?? []).map((discount) =>
    h('div', { class: 'line-discount', test: 'line-discount' },
      h('span', {}, discount.name), h('span', {}, formatMoney(-discount.amount, currency))));
  const attributes = { class: `line${line.voided ? ' voided' : ''}`, test: 'line',
                       'data-position': line.position, 'data-sku': line.sku };
  if (onTap && !line.voided) {
    return h('li', attributes, h('button', { type: 'button', class: 'line-button',
                                             onclick: () => onTap(line) }, row, discounts));
  }
  return h('li', attributes, row, discounts);
}

// The basket's lines. ``onTap(line)`` makes them buttons; voided lines are shown struck
// through only when ``showVoided``. A scan changes one line of a long basket, so items
// whose line did not change are kept, and only the changed ones are rebuilt.
export function renderLines(list, sale, { onTap = null, showVoided = false } = {}) {
  const lines = sale.lines.filter((line) => showVoided || !line.voided);
  const known = list.rows || new Map();
  list.rows = new Map();
  lines.forEach((line, index) => {
    const key = JSON.stringify([line, sale.currency, Boolean(onTap)]);
    const kept = known.get(line.position);
    const item = kept?.key === key ? kept.item : lineItem(line, sale.currency, onTap);
    list.rows.set(line.position, { key, item });
    const present = list.children[index];
    if (present !== item) {
      if (present) list.replaceChild(item, present);
      else list.append(item);
    }
  });
  while (list.children.length > lines.length) list.lastElementChild.remove();
  if (list.dataset.count !== String(lines.length)) { // a new line: show it
    list.dataset.count = lines.length;
    list.scrollTop = list.scrollHeight;
  }
}

function row(label, amount, test, className = '') {
  return h('div', { class: `total-row ${className}`, test },
    h('span', {}, label), h('span', {}, amount));
}

// Savings per promotion, taxes, paid/remaining and the total, pinned at the bottom.
export function renderTotals(box, sale) {
  const money = (minor) => formatMoney(minor, sale.currency);
  const inclusive = sale.tax_mode === 'inclusive';
  const details = h('div', { class: 'total-details' },
    row('Subtotal', money(sale.subtotal), 'subtotal'),
    sale.savings.map((saving) => row(
      saving.times > 1 ? `${saving.name} ×${saving.times}` : saving.name,
      money(-saving.amount), 'saving', 'saving')),
    sale.total_savings ? row('You save', money(sale.total_savings), 'total-savings', 'saving')
      : null,
    sale.taxes.map((tax) => row(inclusive ? `incl. ${tax.name}` : tax.name, money(tax.amount),
                                'tax', 'tax')),
    sale.paid ? [row('Total', money(sale.total), 'sale-total'),
                 row('Paid', money(sale.paid), 'paid')] : null);
  const total = h('div', { class: 'grand-total' },
    h('span', {}, sale.paid ? 'To pay' : 'Total'),
    h('span', { test: 'total' }, money(sale.paid ? sale.remaining : sale.total)));
  const cash = !sale.paid && sale.cash_total !== sale.total
    ? row('Cash total', money(sale.cash_total), 'cash-total', 'cash') : null;
  box.replaceChildren(...[details, total, cash].filter(Boolean));
}
