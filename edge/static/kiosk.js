// The cashier's kiosk: sign-in, the sale, tender and change, on the till's JSON API.
// Every screen is drawn from `state`; every call goes through `act`, which turns the till's
// refusals into what the cashier must do next (approve, weigh, close the drawer...).
import {
  ApiError, api, formatMoney, h, renderLines, renderTotals, watchChanges,
} from './common.js';

const $ = (test) => document.querySelector(`[data-test="${test}"]`);
const simulation = document.body.dataset.simulation === 'true';

const state = {
  staff: null, // who is signed in: {id, name, role}
  sale: null, // the open sale's view
  completed: null, // the sale just paid for, shown until "New sale"
  tendering: false, // the tender screen is up
  revision: 0, // of the newest sale answer shown: an older one arriving late is dropped
};

// The store's currency ({code, exponent, symbol}) for amounts keyed or searched.
const storeCurrency = JSON.parse(document.body.dataset.currency);

// -- keypads -------------------------------------------------------------------------------

const KEY_NAMES = { C: 'clear', '⌫': 'back' };

// A numeric pad. mode: 'pin' shows dots, 'money' minor units in the store currency,
// 'number' a count (no leading zeros), 'code' digits as keyed. `suffix` follows the value.
function keypad({ mode, maxLength, test, suffix = '', onEnter = null }) {
  let digits = '';
  const display = h('output', { class: 'pad-value', test: `${test}-display` });
  const show = () => {
    if (mode === 'pin') display.textContent = '•'.repeat(digits.length);
    else if (mode === 'money') display.textContent = formatMoney(Number(digits), storeCurrency);
    else display.textContent = digits ? `${digits}${suffix}` : '';
  };
  const press = (key) => {
    if (key === 'C') digits = '';
    else if (key === '⌫') digits = digits.slice(0, -1);
    else if ((digits + key).length <= maxLength
             && !(digits === '' && key.startsWith('0') && (mode === 'money' || mode === 'number'))) {
      digits += key;
    }
    show();
  };
  const key = (label) => h('button', {
    type: 'button', class: 'pad-key', test: `${test}-key-${KEY_NAMES[label] ?? label}`,
    onclick: () => press(label),
  }, label);
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', mode === 'money' ? '00' : 'C', '0',
                '⌫'];
  const screenRow = h('div', { class: 'pad-display' }, display,
                      mode === 'money' ? key('C') : null);
  show();
  return {
    element: h('div', { class: 'pad', test }, screenRow,
               h('div', { class: 'pad-keys' }, keys.map(key))),
    value: () => digits,
    clear() { digits = ''; show(); },
    show,
    // A hardware keyboard on the pad; true when the key was the pad's.
    key(event) {
      if (/^[0-9]$/.test(event.key)) press(event.key);
      else if (event.key === 'Backspace') press('⌫');
      else if (event.key === 'Delete') press('C');
      else if (event.key === 'Enter' && onEnter) onEnter(digits);
      else return false;
      return true;
    },
  };
}

// An on-screen keyboard typing into `input` (which keeps the hardware keyboard too).
const KEY_ROWS = ['1234567890', 'QWERTYUIOP', 'ASDFGHJKL', 'ZXCVBNM'];

function keyboard(input) {
  const edit = (change) => {
    input.value = change(input.value);
    input.dispatchEvent(new Event('input'));
    input.focus();
  };
  const key = (label, test, change, className = 'kb-key') => h('button', {
    type: 'button', class: className, test, onclick: () => edit(change),
  }, label);
  return h('div', { class: 'keyboard' },
    KEY_ROWS.map((row) => h('div', { class: 'kb-row' },
      [...row].map((letter) => key(letter, `kb-${letter}`, (text) => text + letter)))),
    h('div', { class: 'kb-row' },
      key('Clear', 'kb-clear', () => '', 'kb-key wide'),
      key('Space', 'kb-space', (text) => `${text} `, 'kb-key wider'),
      key('⌫', 'kb-back', (text) => text.slice(0, -1), 'kb-key wide')));
}

// -- dialogs -------------------------------------------------------------------------------

let dialogPad = null; // the open dialog's keypad, for the hardware keyboard

const modalOpen = () => !$('modal').hidden;

function button(label, test, onclick, className = '') {
  return h('button', { type: 'button', class: className, test, onclick }, label);
}

function closeDialog() {
  $('modal').hidden = true;
  $('dialog').replaceChildren();
  dialogPad = null;
}

const cancelButton = () => button('Cancel', 'dialog-cancel', closeDialog);

function openDialog(title, kind, ...content) {
  dialogPad = null;
  $('dialog').replaceChildren(h('div', { class: `dialog-body ${kind}`, test: `${kind}-dialog` },
                                 h('h2', {}, title), ...content));
  $('modal').hidden = false;
}

// A keypad on the left; the note, the enter button and `extra` buttons on the right.
function padDialog({ title, kind, mode, maxLength, enterLabel, onEnter, note, suffix,
                     extra = [] }) {
  const enter = (digits) => {
    if (!digits) return;
    closeDialog();
    onEnter(digits);
  };
  const pad = keypad({ mode, maxLength, test: `${kind}-pad`, suffix, onEnter: enter });
  openDialog(title, kind, h('div', { class: 'pad-dialog' }, pad.element,
    h('div', { class: 'dialog-side' },
      note ? h('p', { class: 'note', test: `${kind}-note` }, note) : null,
      button(enterLabel, `${kind}-enter`, () => enter(pad.value()), 'primary'),
      extra, cancelButton())));
  dialogPad = pad;
}

function approvalDialog(message, retry) {
  padDialog({
    title: 'Supervisor approval', kind: 'approval', mode: 'pin', maxLength: 8,
    enterLabel: 'Approve', note: message, onEnter: retry,
  });
}

function weightDialog(sku, note) {
  padDialog({
    title: 'Weigh the item', kind: 'weight', mode: 'number', maxLength: 7, suffix: ' g',
    enterLabel: 'Add', note: `${note}. Key the weight in grams.`,
    onEnter: (grams) => act(() => api('POST', '/api/sale/lines',
                                         { sku, weight_g: Number(grams) })),
  });
}

function codeDialog() {
  padDialog({
    title: 'Key in a barcode', kind: 'code', mode: 'code', maxLength: 14, enterLabel: 'Enter',
    onEnter: scan,
  });
}

function priceDialog(line) {
  padDialog({
    title: `${line.name}: new unit price`, kind: 'price', mode: 'money', maxLength: 9,
    enterLabel: 'Set price', note: 'A price change needs a supervisor.',
    onEnter: (minor) => act((pin) => api('PATCH', `/api/sale/lines/${line.position}`,
                                         { unit_price: Number(minor), approver_pin: pin })),
  });
}

function lineDialog(line) {
  const voidLine = button('Void line', 'line-void', () => {
    closeDialog();
    act((pin) => api('POST', `/api/sale/lines/${line.position}/void`, { approver_pin: pin }));
  }, 'danger');
  const changePrice = button('Change price', 'line-price', () => priceDialog(line));
  if (line.weight_g !== null) {
    openDialog(line.name, 'line',
      h('p', { class: 'note' }, 'A weighed item: void it and weigh it again to change it.'),
      h('div', { class: 'dialog-buttons' }, voidLine, changePrice, cancelButton()));
    return;
  }
  padDialog({
    title: `${line.name}: quantity`, kind: 'line', mode: 'number', maxLength: 4,
    enterLabel: 'Set quantity', note: `Quantity now ${line.qty}`, extra: [voidLine, changePrice],
    onEnter: (qty) => act(() => api('PATCH', `/api/sale/lines/${line.position}`,
                                    { qty: Number(qty) })),
  });
}

function textField(test, placeholder) {
  // inputmode none: the on-screen keyboard types, a hardware keyboard or scanner still can.
  return h('input', { test, placeholder, inputmode: 'none', autocomplete: 'off',
                      spellcheck: 'false' });
}

function searchDialog() {
  const input = textField('search-input', 'Product name');
  const results = h('ul', { class: 'results', test: 'search-results' });
  let asked = 0;
  let timer = null;
  const pick = (product) => {
    if (product.by_weight) {
      weightDialog(product.sku, product.name);
      return;
    }
    closeDialog();
    act(() => api('POST', '/api/sale/lines', { sku: product.sku, qty: 1 }));
  };
  const search = async () => {
    const query = input.value.trim();
    const ticket = ++asked;
    if (!query) {
      results.replaceChildren();
      return;
    }
    try {
      const { products } = await api('GET', `/api/products?q=${encodeURIComponent(query)}`);
      if (ticket !== asked) return;
      results.replaceChildren(...(products.length ? products.map((product) => h('li', {},
        h('button', { type: 'button', class: 'result', test: 'search-result',
                      'data-sku': product.sku, onclick: () => pick(product) },
          h('span', {}, product.name),
          h('span', {}, formatMoney(product.unit_price, storeCurrency)
                        + (product.by_weight ? '/kg' : '')))))
        : [h('li', { class: 'note' }, 'No product matches.')]));
    } catch (error) {
      handleError(error);
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  openDialog('Search products', 'search', h('div', { class: 'text-dialog' },
    h('div', { class: 'text-entry' }, input, keyboard(input)),
    h('div', { class: 'dialog-side' }, results, cancelButton())));
  input.focus();
}

function customerDialog() {
  const customer = state.sale?.customer;
  const input = textField('customer-input', 'Card or phone number');
  const find = (field) => {
    const value = input.value.trim();
    if (!value) return;
    closeDialog();
    act(() => api('POST', '/api/sale/customer', { [field]: value }));
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') find('card'); // a loyalty card scanned into the field
  });
  openDialog('Customer', 'customer',
    h('p', { class: 'note', test: 'customer-current' }, customer
      ? `${customer.name} · card ${customer.card}`
      : 'Scan the loyalty card, or key its number or the phone number.'),
    h('div', { class: 'text-dialog' },
      h('div', { class: 'text-entry' }, input, keyboard(input)),
      h('div', { class: 'dialog-side' },
        button('Find by card', 'customer-card', () => find('card'), 'primary'),
        button('Find by phone', 'customer-phone', () => find('phone'), 'primary'),
        customer ? button('Remove customer', 'customer-detach', () => {
          closeDialog();
          act(() => api('POST', '/api/sale/customer/detach'));
        }, 'danger') : null,
        cancelButton())));
  input.focus();
}

function count(sale, noun) {
  const live = sale.lines.filter((line) => !line.voided).length;
  return `${live} ${noun}${live === 1 ? '' : 's'}`;
}

async function parkedDialog() {
  let parked;
  try {
    ({ parked } = await api('GET', '/api/parked'));
  } catch (error) {
    handleError(error);
    return;
  }
  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit',
                                                             minute: '2-digit' });
  const items = parked.map((sale) => h('li', {}, h('button', {
    type: 'button', class: 'result', test: 'parked-sale', 'data-uuid': sale.uuid,
    onclick: () => {
      closeDialog();
      act(() => api('POST', `/api/parked/${sale.uuid}/resume`));
    },
  },
  h('span', {}, `${sale.ref} · ${time(sale.opened_at)} · ${count(sale, 'line')}`),
  h('span', {}, formatMoney(sale.total, sale.currency)))));
  openDialog('Parked sales', 'parked',
    items.length ? h('ul', { class: 'results' }, items)
      : h('p', { class: 'note' }, 'No parked sales.'),
    h('div', { class: 'dialog-buttons' }, cancelButton()));
}

function drawerDialog(message, retry) {
  const closeAndRetry = async () => {
    closeDialog();
    if (await simulate('/api/sim/drawer', { state: 'closed' }, 'Drawer closed')) retry();
  };
  openDialog('Close the cash drawer', 'drawer', h('p', { class: 'note' }, message),
    h('div', { class: 'dialog-buttons' },
      simulation ? button('Close drawer (simulated)', 'drawer-sim-close', closeAndRetry) : null,
      button('Drawer closed: continue', 'drawer-retry', () => {
        closeDialog();
        retry();
      }, 'primary'),
      cancelButton()));
}

function voidSaleDialog() {
  openDialog('Void this sale?', 'void',
    h('p', { class: 'note' }, 'Every line of the sale is cancelled.'),
    h('div', { class: 'dialog-buttons' },
      button('Void sale', 'void-confirm', () => {
        closeDialog();
        act((pin) => api('POST', '/api/sale/void', { approver_pin: pin }));
      }, 'danger'),
      button('Keep the sale', 'dialog-cancel', closeDialog)));
}

// -- messages and calls ----------------------------------------------------------------------

function showBanner(message, { kind = 'error', actions = [] } = {}) {
  $('banner').className = `banner ${kind}`;
  $('banner-text').textContent = message;
  $('banner-actions').replaceChildren(...actions);
  $('banner').hidden = false;
}

function hideBanner() {
  $('banner').hidden = true;
}

function showBusy(text) {
  $('busy-text').textContent = text;
  $('busy').hidden = false;
}

// What the cashier does about a refusal; `retry(pin)` repeats the call that was refused.
function handleError(error, retry = null) {
  if (!(error instanceof ApiError)) {
    showBanner(String(error));
    return;
  }
  const { data } = error;
  if (error.status === 401 && state.staff) {
    Object.assign(state, { staff: null, sale: null, completed: null, tendering: false });
    render();
  }
  if (data.approval && retry) approvalDialog(data.error, retry);
  else if (data.drawer_open && retry) drawerDialog(data.error, retry);
  else if (data.weigh && data.sku) weightDialog(data.sku, data.error);
  else if (data.manual_entry) {
    showBanner(data.error, { actions: [button('Search by name', 'banner-search', () => {
      hideBanner();
      searchDialog();
    })] });
  } else showBanner(data.error);
}

let queue = Promise.resolve();

// Runs `call(approverPin)` and shows its sale; a refusal asking for a supervisor's PIN runs
// it again with the PIN (and again if that PIN is refused). Calls run one after the other,
// in the order asked: fast scans keep their order, a double tap waits for the first.
function act(call, options = {}) {
  const run = queue.then(() => attempt(call, options));
  queue = run;
  return run;
}

async function attempt(call, { busy = null, pin = undefined }) {
  if (busy) showBusy(busy);
  try {
    const data = await call(pin);
    hideBanner();
    if ('sale' in data) applySale(data.sale, data.revision);
    return data;
  } catch (error) {
    const retry = (again) => act(call, { busy, pin: again });
    if (pin && error.status === 401) approvalDialog(error.data.error, retry);
    else handleError(error, retry);
    return null;
  } finally {
    if (busy) $('busy').hidden = true;
  }
}

function applySale(sale, revision) {
  if (revision < state.revision) return;
  state.revision = revision;
  if (sale?.state === 'completed') {
    Object.assign(state, { completed: sale, sale: null, tendering: false });
    tenderPad.clear();
  } else {
    // A sale that arrives part-paid (after a restart, say) opens on the tender screen.
    const arriving = Boolean(sale) && sale.uuid !== state.sale?.uuid;
    state.sale = sale;
    if (sale) state.completed = null; // a scan after the change screen starts the next sale
    state.tendering = Boolean(sale) && (state.tendering || (arriving && sale.paid > 0));
  }
  render();
}

async function refresh() {
  try {
    const { sale, revision } = await api('GET', '/api/sale');
    applySale(sale, revision);
  } catch (error) {
    if (error.status === 401) handleError(error);
  }
}

function scan(code) {
  const trimmed = code.trim();
  if (trimmed) act(() => api('POST', '/api/sale/scan', { code: trimmed }));
}

async function simulate(path, body, status) {
  try {
    await api('POST', path, body);
    $('sim-status').textContent = status;
    return true;
  } catch (error) {
    handleError(error);
    return false;
  }
}

// -- screens -------------------------------------------------------------------------------

function screen() {
  if (!state.staff) return 'sign-in';
  if (state.completed) return 'complete';
  if (state.tendering && state.sale) return 'tender';
  return 'sale';
}

function render() {
  const current = screen();
  for (const section of document.querySelectorAll('.screen')) {
    section.hidden = section.dataset.test !== `screen-${current}`;
  }
  $('cashier-name').textContent = state.staff?.name ?? '';
  $('sale-ref').textContent = state.sale ? `Sale ${state.sale.ref}` : '';
  $('sign-out').hidden = !state.staff;
  if (simulation) {
    $('sim-toggle').hidden = !state.staff;
    if (!state.staff) $('sim-panel').hidden = true;
  }
  if (current === 'sale') renderSale();
  else if (current === 'tender') renderTender();
  else if (current === 'complete') renderComplete();
}

function renderSale() {
  const { sale } = state;
  const live = sale ? sale.lines.filter((line) => !line.voided).length : 0;
  if (sale) {
    renderLines($('lines'), sale, { onTap: lineDialog, showVoided: true });
    renderTotals($('totals'), sale);
  } else {
    $('lines').replaceChildren();
    $('totals').replaceChildren(h('div', { class: 'grand-total' }, h('span', {}, 'Total'),
                                  h('span', { test: 'total' }, formatMoney(0, storeCurrency))));
  }
  $('empty-basket').hidden = Boolean(sale?.lines.length);
  const customer = sale?.customer;
  $('customer').replaceChildren(customer
    ? h('span', { test: 'customer-name' },
        `${customer.name}${customer.member ? ' · member prices' : ''}`)
    : '');
  $('pay').disabled = !live;
  $('pay').textContent = sale?.paid ? 'Continue payment' : 'Pay';
  $('park').disabled = !live;
  $('void-sale').disabled = !sale;
}

const NOTES = [5, 10, 20, 50, 100]; // major units: notes a customer is likely to hand over

// The cash due, then the next round amounts above it (at most three).
function quickCash(due, exponent) {
  const amounts = [];
  for (const note of NOTES) {
    const step = note * 10 ** exponent;
    const rest = due % step;
    const amount = due - rest + step;
    if (rest && !amounts.includes(amount) && amounts.length < 3) amounts.push(amount);
  }
  return amounts;
}

function renderTender() {
  const { sale } = state;
  const money = (minor) => formatMoney(minor, sale.currency);
  const nothingPaid = sale.paid === 0;
  const cashDue = nothingPaid ? sale.cash_total : sale.remaining;
  $('due-label').textContent = nothingPaid ? 'Amount due' : 'Remaining';
  $('amount-due').textContent = money(sale.remaining);
  const row = (label, amount, test) => h('div', { test }, h('dt', {}, label),
                                         h('dd', {}, amount));
  $('tender-paid').replaceChildren(
    row('Total', money(sale.total), 'tender-total'),
    nothingPaid && sale.cash_total !== sale.total
      ? row('Cash due', money(sale.cash_total), 'tender-cash-due') : '',
    row('Paid', money(sale.paid), 'tender-paid-amount'),
    row('Remaining', money(sale.remaining), 'tender-remaining'));
  $('payments').replaceChildren(...sale.payments.map((payment) => h('li', { test: 'payment' },
    h('span', {}, payment.label), h('span', {}, money(payment.amount)))));
  $('quick-cash').replaceChildren(
    button(`Exact ${money(cashDue)}`, 'quick-exact', () => tender('cash')),
    ...quickCash(cashDue, sale.currency.exponent).map((amount) => button(
      money(amount), `quick-cash-${amount}`, () => tender('cash', amount))));
  tenderPad.show();
}

function renderComplete() {
  const sale = state.completed;
  const money = (minor) => formatMoney(minor, sale.currency);
  const cash = sale.payments.some((payment) => payment.type === 'cash');
  document.querySelector('.change-label').textContent = cash ? 'Change due' : 'Paid';
  $('change-due').textContent = money(cash ? sale.change ?? 0 : sale.total);
  $('complete-info').textContent = [`Sale ${sale.ref}`, `Total ${money(sale.total)}`,
    ...sale.payments.map((payment) => `${payment.label} ${money(payment.tendered
                                                                 ?? payment.amount)}`),
  ].join(' · ');
  $('drawer-note').hidden = !cash;
}

// `amount` in minor units; none: the till takes what remains (cash: rounded) due.
async function tender(type, amount = null) {
  const busy = type === 'card' ? 'Card payment: follow the card terminal…' : 'Taking payment…';
  const data = await act(() => api('POST', '/api/sale/tender', amount ? { type, amount }
                                                                      : { type }), { busy });
  if (data) tenderPad.clear();
}

async function signIn(pin) {
  signInPad.clear();
  if (!pin) return;
  try {
    state.staff = await api('POST', '/api/auth/sign-in', { pin });
    hideBanner();
    await refresh();
  } catch (error) {
    handleError(error);
  }
  render();
}

async function signOut() {
  try {
    await api('POST', '/api/auth/sign-out');
  } catch (error) {
    if (error.status !== 401) {
      handleError(error);
      return;
    }
  }
  closeDialog();
  hideBanner();
  Object.assign(state, { staff: null, sale: null, completed: null, tendering: false });
  render();
}

// -- wiring --------------------------------------------------------------------------------

const signInPad = keypad({ mode: 'pin', maxLength: 8, test: 'pin', onEnter: signIn });
$('sign-in-pad').replaceChildren(h('div', { class: 'pad-dialog' }, signInPad.element,
  h('div', { class: 'dialog-side' },
    button('Sign in', 'sign-in', () => signIn(signInPad.value()), 'primary big'))));

const tenderPad = keypad({ mode: 'money', maxLength: 9, test: 'tender-pad' });
document.querySelector('.tender-pad').append(tenderPad.element);

$('code-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('code-input');
  scan(input.value);
  input.value = '';
});
$('open-code-pad').addEventListener('click', codeDialog);
$('open-search').addEventListener('click', searchDialog);
$('open-customer').addEventListener('click', customerDialog);
$('open-parked').addEventListener('click', parkedDialog);
$('park').addEventListener('click', () => act(() => api('POST', '/api/sale/park')));
$('void-sale').addEventListener('click', voidSaleDialog);
$('pay').addEventListener('click', () => {
  state.tendering = true;
  render();
});
$('back-to-sale').addEventListener('click', () => {
  state.tendering = false;
  render();
});
// The amount keyed on the tender pad, or what remains due when nothing is keyed.
$('tender-cash').addEventListener('click', () => tender('cash', Number(tenderPad.value())));
$('tender-card').addEventListener('click', () => tender('card', Number(tenderPad.value())));
$('new-sale').addEventListener('click', () => {
  state.completed = null;
  hideBanner();
  render();
  refresh();
});
$('reprint').addEventListener('click', async () => {
  try {
    await api('POST', '/api/receipts/last/reprint');
    showBanner('Receipt reprinted.', { kind: 'info' });
  } catch (error) {
    handleError(error);
  }
});
$('sign-out').addEventListener('click', signOut);
$('banner-close').addEventListener('click', hideBanner);

if (simulation) {
  $('sim-toggle').addEventListener('click', () => {
    $('sim-panel').hidden = !$('sim-panel').hidden;
  });
  $('sim-scan-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('sim-scan-input');
    const code = input.value.trim();
    input.value = '';
    // The sale and any refusal arrive through the change feed, as from real hardware.
    if (code) simulate('/api/sim/scan', { code }, `Scanned ${code}`);
  });
  for (const drawer of ['closed', 'open']) {
    $(`sim-drawer-${drawer}`).addEventListener('click', () => simulate(
      '/api/sim/drawer', { state: drawer }, `Drawer ${drawer}`));
  }
  for (const outcome of ['approve', 'decline', 'timeout']) {
    $(`sim-card-${outcome}`).addEventListener('click', () => simulate(
      '/api/sim/card', { outcome }, `Next card: ${outcome}`));
  }
}

// Keys from a hardware keyboard or a barcode scanner (a keyboard wedge): to the keypad on
// screen, or on the sale screen into the code box, where Enter scans.
document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.altKey || event.metaKey) return;
  if (event.key === 'Escape' && modalOpen()) {
    closeDialog();
    return;
  }
  if (event.target instanceof HTMLInputElement) return;
  const pad = modalOpen() ? dialogPad : { 'sign-in': signInPad, tender: tenderPad }[screen()];
  if (pad) {
    if (pad.key(event)) event.preventDefault();
    return;
  }
  if (modalOpen() || screen() !== 'sale') return;
  const input = $('code-input');
  if (event.key.length === 1) {
    input.value += event.key;
    input.focus();
    event.preventDefault();
  } else if (event.key === 'Enter' && input.value) {
    event.preventDefault();
    $('code-form').requestSubmit();
  }
});

// The till's notice (a hardware scan refused, the drawer failing) is news once: the feed
// repeats the last one with every change.
let lastNotice;

async function onChange(change) {
  const notice = JSON.stringify(change.notice);
  if (lastNotice !== undefined && notice !== lastNotice && change.notice) {
    handleError(new ApiError(409, change.notice));
  }
  lastNotice = notice;
  if (!state.staff) return;
  // The feed carries the sale for the signed-in cashier; fetch it only if it did not.
  if ('sale' in change) applySale(change.sale, change.revision);
  else await refresh();
}

async function boot() {
  try {
    state.staff = await api('GET', '/api/auth/me');
    await refresh();
  } catch {
    state.staff = null;
  }
  render();
  watchChanges(onChange);
}

boot();
