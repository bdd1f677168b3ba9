// The cashier's kiosk: sign-in, the sale, tender and change, on the till's JSON API.
// Every screen is drawn from `state`; every call goes through `act`, which turns the till's
// refusals into what the cashier must do next (approve, weigh, close the drawer...).
import {
  ApiError, api, apiBlob, formatMoney, formatWeight, h, renderLines, renderTotals, watchChanges,
} from './common.js';

const $ = (test) => document.querySelector(`[data-test="${test}"]`);
const simulation = document.body.dataset.simulation === 'true';

const state = {
  staff: null, // who is signed in: {id, name, role}
  store: null, // GET /api/store: denominations, reasons, till id
  session: undefined, // the cash session: undefined before it is known, null when closed
  sale: null, // the open sale's view (kind "refund" for a return)
  completed: null, // the sale just paid for, shown until "New sale"
  tendering: false, // the tender screen is up
  returning: false, // the returns screen is up, before a refund is started
  counting: false, // the cash is being counted to close the till
  report: null, // the X or Z report shown: {kind: 'x' | 'z', report}
  lastZ: null, // the Z report of the session closed here, for the next session's number
  revision: 0, // of the newest sale answer shown: an older one arriving late is dropped
  receiptsPending: 0, // receipts waiting for the printer, from the change feed
};

// Everything that belongs to whoever was signed in, for sign-out and a lost session.
function forgetStaff() {
  Object.assign(state, { staff: null, store: null, session: undefined, sale: null,
                         completed: null, tendering: false, returning: false,
                         counting: false, report: null });
}

// The store's currency ({code, exponent, symbol}) for amounts keyed or searched.
const storeCurrency = JSON.parse(document.body.dataset.currency);
const money = (minor) => formatMoney(minor, storeCurrency);

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
const KEY_ROWS = ['1234567890', 'QWERTYUIOP', 'ASDFGHJKL', 'ZXCVBNM-'];

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

const cancelButton = (label = 'Cancel') => button(label, 'dialog-cancel', closeDialog);

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

// A coupon the customer presents, typed or scanned into the field. A refusal (a typing
// mistake, a code used before) is shown in the dialog, with the code kept to correct it.
function couponDialog() {
  const input = textField('coupon-input', 'Coupon code');
  const refusal = h('p', { class: 'note refusal', test: 'coupon-refusal', role: 'alert' });
  const enter = () => {
    const code = input.value.trim();
    if (!code) return;
    act(() => api('POST', '/api/sale/coupons', { code }), {
      done: closeDialog,
      refused: (message) => {
        refusal.textContent = message;
        input.focus();
      },
    });
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') enter(); // a scanner ends the code with Enter
  });
  input.addEventListener('input', () => { refusal.textContent = ''; });
  openDialog('Coupon', 'coupon',
    h('p', { class: 'note' }, 'Scan or type the code on the customer\'s coupon.'),
    h('div', { class: 'text-dialog' },
      h('div', { class: 'text-entry' }, input, refusal, keyboard(input)),
      h('div', { class: 'dialog-side' },
        button('Add coupon', 'coupon-add', enter, 'primary'), cancelButton())));
  input.focus();
}

// The sale's coupons as printed, each with what it takes off now, or that its promotion's
// condition is not met yet; one can be taken off until payment starts.
function renderCoupons(sale) {
  const money = (minor) => formatMoney(minor, sale.currency);
  $('coupons').replaceChildren(...sale.coupon_status.map((coupon) => h('li', {
    class: `coupon-row${coupon.discount ? ' giving' : ''}`, test: 'coupon', 'data-code': coupon.code },
  h('div', { class: 'coupon-text' },
    h('span', { class: 'coupon-code', test: 'coupon-code' }, coupon.display),
    h('span', { class: 'coupon-state', test: 'coupon-state' }, coupon.discount
      ? `${money(-coupon.discount)} · ${coupon.promotions.join(', ')}`
      : 'entered — no discount yet')),
  sale.paid ? null : button('✕', 'coupon-remove', () => act(() => api(
    'POST', '/api/sale/coupons/remove', { code: coupon.code })), 'small'))));
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

// Voiding the open sale (or return), after a confirmation that says what is lost.
function confirmVoid(title, test, note, confirm, keep) {
  openDialog(title, test,
    h('p', { class: 'note' }, note),
    h('div', { class: 'dialog-buttons' },
      button(confirm, `${test}-confirm`, () => {
        closeDialog();
        act((pin) => api('POST', '/api/sale/void', { approver_pin: pin }));
      }, 'danger'),
      keep));
}

function voidSaleDialog() {
  const note = state.sale?.paid ? 'Every line is cancelled and what was paid goes back: cards '
    + 'through the terminal, cash from the drawer. A supervisor approves.'
    : 'Every line of the sale is cancelled.';
  confirmVoid('Void this sale?', 'void', note, 'Void sale',
    button('Keep the sale', 'dialog-cancel', closeDialog));
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
    forgetStaff();
    render();
  }
  if (data.session_closed && state.staff) {
    state.session = null; // closed: the float is counted before anything else
    render();
  }
  if (data.approval && retry) approvalDialog(data.error, retry);
  else if (data.drawer_open && retry) drawerDialog(data.error, retry);
  else if (data.weigh && data.sku && state.sale?.kind !== 'refund') {
    weightDialog(data.sku, data.error);
  }
  else if (data.manual_entry) {
    showBanner(data.error, { actions: [button('Search by name', 'banner-search', () => {
      hideBanner();
      searchDialog();
    })] });
  } else if (isReceiptCode(data.code)) {
    showBanner(data.error, { actions: [button('Return items', 'banner-return', () => {
      hideBanner();
      state.returning = true;
      render();
      startReturn(data.code);
    })] });
  } else showBanner(data.error);
}

let queue = Promise.resolve();

// Runs `call(approverPin)` and shows its sale; a refusal asking for a supervisor's PIN runs
// it again with the PIN (and again if that PIN is refused). Calls run one after the other,
// in the order asked: fast scans keep their order, a double tap waits for the first.
// `done(data)` runs once the call succeeds, after an approval too.
function act(call, options = {}) {
  const run = queue.then(() => attempt(call, options));
  queue = run;
  return run;
}

// `refused(message)`, when given, shows a plain refusal where the call was made instead.
async function attempt(call, { busy = null, pin = undefined, done = null, refused = null }) {
  if (busy) showBusy(busy);
  try {
    const data = await call(pin);
    hideBanner();
    if ('sale' in data) applySale(data.sale, data.revision);
    if (done) done(data);
    return data;
  } catch (error) {
    const retry = (again) => act(call, { busy, pin: again, done, refused });
    if (pin && error.status === 401) approvalDialog(error.data.error, retry);
    else if (refused && error instanceof ApiError && error.status !== 401
             && !error.data.session_closed) refused(error.data.error);
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
    Object.assign(state, { completed: sale, sale: null, tendering: false, returning: false });
    tenderPad.clear();
  } else {
    // A sale that arrives part-paid (after a restart, say) opens on the tender screen.
    const arriving = Boolean(sale) && sale.uuid !== state.sale?.uuid;
    const refund = sale?.kind === 'refund';
    state.sale = sale;
    if (sale) state.completed = null; // a scan after the change screen starts the next sale
    state.tendering = Boolean(sale) && !refund
                      && (state.tendering || (arriving && sale.paid > 0));
    // A refund cancelled goes back to the returns screen; a sale started ends returns.
    state.returning = refund || (state.returning && !sale);
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

// -- the cash session: counting cash, the till menu, reports --------------------------------

// Cash counted by denomination into `grid`: a stepper per note and coin (a tap on the count
// keys it in), the total shown in `total`. Without denominations, the total is keyed.
function cashCount(grid, total, test) {
  const denominations = state.store?.denominations ?? [];
  const counts = new Map(denominations.map((value) => [value, 0]));
  let keyed = 0; // the total keyed when the store lists no denominations
  const cells = new Map();
  const sum = () => (denominations.length
    ? [...counts].reduce((all, [value, n]) => all + value * n, 0) : keyed);
  const show = () => {
    for (const [value, cell] of cells) {
      const n = counts.get(value);
      cell.count.textContent = String(n);
      cell.sum.textContent = n ? money(value * n) : '';
      cell.element.classList.toggle('counted', n > 0);
    }
    total.textContent = money(sum());
  };
  const set = (value, n) => {
    counts.set(value, Math.max(0, Math.min(n, 99999)));
    show();
  };
  const keyCount = (value) => padDialog({
    title: `How many ${money(value)}?`, kind: 'count', mode: 'number', maxLength: 5,
    enterLabel: 'Set', note: `Now ${counts.get(value)}`, onEnter: (n) => set(value, Number(n)),
    extra: [button('None', 'count-none', () => {
      closeDialog();
      set(value, 0);
    })],
  });
  const keyTotal = () => padDialog({
    title: 'Cash counted', kind: 'count', mode: 'money', maxLength: 9, enterLabel: 'Set',
    onEnter: (minor) => {
      keyed = Number(minor);
      show();
    },
  });
  grid.replaceChildren(...denominations.map((value) => {
    const cell = {
      count: button('0', `${test}-${value}-count`, () => keyCount(value), 'denom-count'),
      sum: h('span', { class: 'denom-sum', test: `${test}-${value}-sum` }),
    };
    cell.element = h('div', { class: 'denom', test: `${test}-${value}` },
      h('div', { class: 'denom-label' }, h('strong', {}, money(value)), cell.sum),
      button('−', `${test}-${value}-minus`, () => set(value, counts.get(value) - 1)),
      cell.count,
      button('+', `${test}-${value}-plus`, () => set(value, counts.get(value) + 1)));
    cells.set(value, cell);
    return cell.element;
  }));
  if (!denominations.length) {
    grid.append(button('Key in the amount counted', `${test}-key-total`, keyTotal, 'primary'));
  }
  show();
  return {
    total: sum,
    // {denomination: count} as the API takes it (the keyed total as one "denomination").
    counted: () => (denominations.length
      ? Object.fromEntries([...counts].filter(([, n]) => n).map(([v, n]) => [String(v), n]))
      : (keyed ? { [keyed]: 1 } : {})),
    clear() {
      for (const value of counts.keys()) counts.set(value, 0);
      keyed = 0;
      show();
    },
  };
}

let openCount = null;
let closeCount = null;

// The store and the cash session, after sign-in: what the till screens are made from.
async function loadTill() {
  const [{ session }, store] = await Promise.all([api('GET', '/api/session'),
                                                  api('GET', '/api/store')]);
  Object.assign(state, { session, store });
  openCount = cashCount($('open-count'), $('open-count-total'), 'open-count');
  closeCount = cashCount($('close-count'), $('close-count-total'), 'close-count');
}

async function openTill() {
  const counted = openCount.counted();
  const data = await act(() => api('POST', '/api/session/open', { counted }),
                         { busy: 'Opening the till…' });
  if (!data) return;
  state.session = data.session;
  openCount.clear();
  render();
  showBanner(`Till open: session ${data.session.number}, float ${money(data.session.float)}.`,
             { kind: 'info' });
}

function startClose() {
  closeCount.clear();
  state.counting = true;
  render();
}

function confirmClose() {
  const counted = closeCount.counted();
  openDialog('Close the till?', 'close',
    h('p', { class: 'note' }, `Session ${state.session?.number}: ${money(closeCount.total())} `
      + 'counted. The Z report is final: the session cannot take sales afterwards.'),
    h('div', { class: 'dialog-buttons' },
      button('Close till', 'close-confirm', async () => {
        closeDialog();
        const data = await act(() => api('POST', '/api/session/close', { counted }),
                               { busy: 'Closing the till…' });
        if (!data) return;
        Object.assign(state, { session: null, counting: false, lastZ: data.report,
                               report: { kind: 'z', report: data.report } });
        render();
      }, 'danger'),
      button('Keep counting', 'dialog-cancel', closeDialog)));
}

async function xReport() {
  const data = await act(() => api('GET', '/api/session/x-report'));
  if (!data) return;
  state.report = { kind: 'x', report: data.report };
  render();
}

const when = (iso) => (iso ? new Date(iso).toLocaleString([], {
  day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) : '—');
const TENDERS = { cash: 'Cash', card: 'Card', voucher: 'Voucher', store_credit: 'Store credit',
                  points: 'Points' };
const HUB_TENDERS = ['voucher', 'store_credit', 'points']; // checked with the hub

function overShortLabel(amount) {
  if (amount < 0) return 'Short';
  return amount > 0 ? 'Over' : 'Balanced';
}

// The report's figures by section, each [label, amount in minor units or text, test].
function reportSections(report) {
  const counted = Object.entries(report.counted ?? {})
    .map(([value, n]) => [Number(value), n]).filter(([, n]) => n).sort(([a], [b]) => b - a);
  return [
    ['Sales', [['Sales', String(report.sales.count), 'report-sales-count'],
               ['Subtotal', report.sales.subtotal], ['Discounts', -report.sales.discounts],
               ['Total', report.sales.total, 'report-sales-total']]],
    ['Refunds', [['Refunds', String(report.refunds.count)],
                 ['Total', -report.refunds.total, 'report-refunds-total'],
                 ['Voided sales', String(report.voided)]]],
    ['Tenders', report.tenders.length
      ? report.tenders.map((t) => [TENDERS[t.type] ?? t.type, t.amount, `report-tender-${t.type}`])
      : [['None', '']]],
    ['Taxes', report.taxes.length ? report.taxes.map((tax) => [tax.name, tax.amount])
      : [['None', '']]],
    ['Cash', [['Float', report.float, 'report-float'], ['Paid in', report.paid_in],
              ['Paid out', -report.paid_out, 'report-paid-out'],
              ['Cash rounding', report.rounding], ['No sales', String(report.no_sales)],
              ['Expected in drawer', report.expected_cash]]],
    counted.length ? ['Counted', counted.map(([value, n]) => [`${n} × ${money(value)}`,
                                                               value * n])] : null,
  ].filter(Boolean);
}

function renderReport() {
  const { kind, report } = state.report;
  const z = kind === 'z';
  const figure = (value) => (typeof value === 'number' ? money(value) : value);
  const row = ([label, value, test], className = '') => h('div', { class: className, test },
    h('dt', {}, label), h('dd', {}, figure(value)));
  $('report-title').textContent = z ? `Z report ${report.z_number}` : 'X report';
  $('report-when').textContent = `Session ${report.session} · opened ${when(report.opened_at)}`
    + (z ? ` · closed ${when(report.closed_at)}` : ' · till still open');
  $('report-body').replaceChildren(...reportSections(report).map(([title, rows]) => h(
    'section', { class: 'report-section' }, h('h3', {}, title), h('dl', {}, rows.map(
      (figures) => row(figures))))));
  const over = report.over_short;
  $('report-cash').replaceChildren(...(z ? [
    row(['Expected', report.expected_cash, 'report-expected']),
    row(['Counted', report.counted_total, 'report-counted']),
    row([overShortLabel(over), over, 'report-over-short'],
        `over-short ${over < 0 ? 'short' : ''}${over > 0 ? 'over' : ''}`),
  ] : [row(['Float', report.float]),
       row(['Expected', report.expected_cash, 'report-expected'], 'over-short')]));
  $('report-done').textContent = z ? 'Next session' : 'Done';
}

const MOVES = { paid_in: 'Paid in', paid_out: 'Paid out', no_sale: 'No sale' };

// The reason for a cash movement: one of the store's, or typed when it lists none.
function reasonDialog(title, kind, onReason) {
  const reasons = state.store?.reasons?.[kind] ?? [];
  const choose = (reason) => {
    if (!reason.trim()) return;
    closeDialog();
    onReason(reason.trim());
  };
  if (reasons.length) {
    openDialog(title, 'reason', h('div', { class: 'choice-grid' },
      reasons.map((reason) => h('button', { type: 'button', test: 'reason-option',
                                            'data-reason': reason,
                                            onclick: () => choose(reason) }, reason)),
      cancelButton()));
    return;
  }
  const input = textField('reason-input', 'Reason');
  openDialog(title, 'reason', h('div', { class: 'text-dialog' },
    h('div', { class: 'text-entry' }, input, keyboard(input)),
    h('div', { class: 'dialog-side' },
      button('OK', 'reason-enter', () => choose(input.value), 'primary'), cancelButton())));
  input.focus();
}

function cashMovement(kind) {
  padDialog({
    title: MOVES[kind], kind: kind.replace('_', '-'), mode: 'money', maxLength: 9,
    enterLabel: 'Next: reason',
    note: kind === 'paid_in' ? 'Cash put into the drawer.' : 'Cash taken out of the drawer.',
    onEnter: (minor) => reasonDialog(`${MOVES[kind]} ${money(Number(minor))}: why?`, kind,
      (reason) => act(() => api('POST', `/api/session/${kind.replace('_', '-')}`,
                                { amount: Number(minor), reason }), {
        done: () => showBanner(`${MOVES[kind]} ${money(Number(minor))} (${reason}): the `
                               + 'drawer is open, close it when done.', { kind: 'info' }),
      })),
  });
}

function noSale() {
  reasonDialog('No sale: why open the drawer?', 'no_sale', (reason) => act(
    (pin) => api('POST', '/api/drawer/no-sale', { reason, approver_pin: pin }),
    { done: () => showBanner(`Drawer opened, no sale (${reason}).`, { kind: 'info' }) }));
}

async function reprint() {
  try {
    await api('POST', '/api/receipts/last/reprint');
    showBanner('Receipt reprinted.', { kind: 'info' });
  } catch (error) {
    handleError(error);
  }
}

// Receipts that did not print (paper out, printer offline), oldest first.
async function printQueued() {
  try {
    const { printed } = await api('POST', '/api/receipts/pending/print');
    showBanner(`${printed} queued receipt${printed === 1 ? '' : 's'} printed.`, { kind: 'info' });
  } catch (error) {
    handleError(error);
  }
}

// The last receipt as the printer lays it out.
async function receiptPreview() {
  let url;
  try {
    url = URL.createObjectURL(await apiBlob('/api/receipts/last/preview.png'));
  } catch (error) {
    handleError(error);
    return;
  }
  const image = h('img', { src: url, alt: 'The last receipt', test: 'receipt-image' });
  image.addEventListener('load', () => URL.revokeObjectURL(url));
  openDialog('Last receipt', 'receipt', h('div', { class: 'receipt-preview' }, image),
    h('div', { class: 'dialog-buttons' },
      button('Reprint', 'receipt-reprint', () => {
        closeDialog();
        reprint();
      }), cancelButton('Close')));
}

function tillMenu() {
  const busy = Boolean(state.sale);
  const item = (label, test, action, disabled = false, className = '') => h('button', {
    type: 'button', class: className, test, disabled, onclick: () => {
      closeDialog();
      action();
    },
  }, label);
  openDialog(`Till · session ${state.session?.number ?? '—'}`, 'till',
    busy ? h('p', { class: 'note' },
             'A sale is in progress: finish or park it to take a return or close the till.')
      : null,
    h('div', { class: 'choice-grid' },
      item('X report', 'menu-x-report', xReport),
      item('Paid in', 'menu-paid-in', () => cashMovement('paid_in')),
      item('Paid out', 'menu-paid-out', () => cashMovement('paid_out')),
      item('No sale', 'menu-no-sale', noSale),
      item('Returns', 'menu-returns', openReturns, busy),
      item('Reprint last receipt', 'menu-reprint', reprint),
      item('Receipt preview', 'menu-receipt-preview', receiptPreview),
      item('Close till (Z)', 'menu-close-till', startClose, busy, 'danger'),
      cancelButton()));
}

// Where a refund's money goes: a card of the original sale, or cash from the drawer.
const refundedTo = ({ type, label }) => (type === 'cash' ? 'Cash from the drawer'
  : `To ${label}`);

// -- returns -----------------------------------------------------------------------------------

const isReceiptCode = (code) => typeof code === 'string' && /^TS-/i.test(code.trim());

function openReturns() {
  state.returning = true;
  render();
  $('returns-code-input').focus();
}

function startReturn(code) {
  act(() => api('POST', '/api/returns', { code: code.trim() }), { busy: 'Finding the sale…' });
}

// A code on the returns screen: a receipt starts the return; once it is started, a product
// barcode returns one unit of it.
function returnsCode(code) {
  const trimmed = code.trim();
  if (!trimmed) return;
  if (state.sale?.kind === 'refund' && !isReceiptCode(trimmed)) scan(trimmed);
  else startReturn(trimmed);
}

function returnsKeyboard() {
  const { till } = state.store;
  const input = textField('returns-key-input', `TS-${till}-42 or ${till}-000042`);
  const enter = () => {
    closeDialog();
    returnsCode(input.value);
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') enter();
  });
  openDialog('Key in the receipt barcode', 'returns-key', h('div', { class: 'text-dialog' },
    h('div', { class: 'text-entry' }, input, keyboard(input)),
    h('div', { class: 'dialog-side' },
      h('p', { class: 'note' }, 'The code under the receipt\'s barcode, or its sale number.'),
      button('Find sale', 'returns-key-enter', enter, 'primary'), cancelButton())));
  input.focus();
}

// The refund's line for original line `entry` (the till keeps one per original line) and
// the units it takes back. Refund lines name their product, not their original line: a
// product on two lines of the receipt shares its count.
function returning(sale, entry) {
  const line = sale.lines.find((item) => !item.voided && item.sku === entry.sku);
  return { line, units: line ? line.qty ?? 1 : 0 };
}

// `qty` more units of original line `entry` come back; a weighed line comes back whole.
function returnLine(entry, qty = 1) {
  const { original_position: position } = entry;
  act(() => api('POST', '/api/sale/return-lines', entry.qty === null
    ? { original_position: position } : { original_position: position, qty }));
}

// One unit fewer: the line goes, and comes back one unit smaller (changing a refund line's
// quantity would keep its amount).
function returnOneLess(entry, { line, units }) {
  act(() => api('POST', `/api/sale/lines/${line.position}/void`));
  if (units > 1) returnLine(entry, units - 1);
}

function returnableRow(sale, entry) {
  const taken = returning(sale, entry);
  const { units } = taken;
  const weighed = entry.weight_g !== null && entry.weight_g !== undefined;
  const key = (label, test, onclick, disabled, className = '') => h('button', {
    type: 'button', class: className, test, disabled, onclick }, label);
  const control = weighed
    ? key(units ? 'Coming back ✓' : 'Return it', 'returnable-toggle',
          () => (units ? returnOneLess(entry, taken) : returnLine(entry)),
          !units && !entry.returnable, units ? 'primary' : '')
    : h('div', { class: 'stepper' },
      key('−', 'returnable-minus', () => returnOneLess(entry, taken), !units),
      h('output', { test: 'returnable-count' }, String(units)),
      key('+', 'returnable-plus', () => returnLine(entry), !entry.returnable));
  const sold = weighed ? formatWeight(entry.weight_g) : `${entry.qty} sold`;
  const before = entry.returned - units; // `returned` counts this return's units too
  const earlier = before > 0 ? ` · ${before} returned before` : '';
  return h('li', { class: 'returnable-line', test: 'returnable-line',
                   'data-position': entry.original_position, 'data-sku': entry.sku },
    h('div', {}, h('div', { class: 'line-name' }, entry.name),
      h('div', { class: 'note' }, `${sold} · ${money(entry.amount)}${earlier}`)),
    control);
}

function renderReturns() {
  const sale = state.sale?.kind === 'refund' ? state.sale : null;
  const returnable = sale?.returnable ?? [];
  $('returns-info').textContent = sale
    ? (sale.original ? `Return from sale ${sale.original}` : 'Return without a '
       + 'receipt: scan each item coming back, refunded at today\'s price.')
    : '';
  $('returnable').replaceChildren(...returnable.map((entry) => returnableRow(sale, entry)));
  const empty = $('returns-empty');
  empty.hidden = Boolean(returnable.length);
  empty.textContent = sale ? (returnable.length ? '' : 'Scan the items coming back.')
    : 'Scan or key in the receipt\'s barcode, or choose No receipt.';
  if (sale) renderLines($('refund-lines'), sale, { onTap: refundLineDialog });
  else $('refund-lines').replaceChildren();
  $('refund-to').replaceChildren(...(sale?.refund_to ?? []).map((to) => h('div',
    { test: 'refund-to-row' }, h('dt', {}, refundedTo(to)), h('dd', {}, money(to.amount)))));
  $('refund-total').textContent = money(sale?.total ?? 0);
  const live = sale ? sale.lines.some((line) => !line.voided) : false;
  $('refund').disabled = !live;
  $('no-receipt').hidden = Boolean(sale);
  $('cancel-return').hidden = !sale;
  $('returns-back').hidden = Boolean(sale);
}

function refundLineDialog(line) {
  openDialog(line.name, 'refund-line',
    h('p', { class: 'note' }, 'Take this item out of the return?'),
    h('div', { class: 'dialog-buttons' },
      button('Take it out', 'refund-line-void', () => {
        closeDialog();
        act(() => api('POST', `/api/sale/lines/${line.position}/void`));
      }, 'danger'),
      cancelButton('Keep it')));
}

function cancelReturnDialog() {
  confirmVoid('Cancel this return?', 'cancel-return', 'Nothing is refunded.', 'Cancel return',
    cancelButton('Keep it'));
}

// -- screens -------------------------------------------------------------------------------

function screen() {
  if (!state.staff) return 'sign-in';
  if (state.report) return 'report';
  if (state.completed) return 'complete';
  if (state.session === null) return 'open-till';
  if (state.counting) return 'close-till';
  if (state.sale?.kind === 'refund' || (state.returning && !state.sale)) return 'returns';
  if (state.tendering && state.sale) return 'tender';
  return 'sale';
}

function render() {
  const current = screen();
  for (const section of document.querySelectorAll('.screen')) {
    section.hidden = section.dataset.test !== `screen-${current}`;
  }
  $('cashier-name').textContent = state.staff?.name ?? '';
  $('session-info').textContent = state.session ? `Session ${state.session.number}` : '';
  const refund = state.sale?.kind === 'refund';
  $('sale-ref').textContent = state.sale ? `${refund ? 'Refund' : 'Sale'} ${state.sale.ref}` : '';
  $('sign-out').hidden = !state.staff;
  const queued = state.staff ? state.receiptsPending : 0;
  $('receipts-pending').hidden = !queued;
  $('receipts-pending').textContent = `Print ${queued} queued receipt${queued === 1 ? '' : 's'}`;
  $('till-menu').hidden = !state.staff || !state.session
                          || ['report', 'close-till'].includes(current);
  if (simulation) {
    $('sim-toggle').hidden = !state.staff;
    if (!state.staff) $('sim-panel').hidden = true;
  }
  if (current === 'sale') renderSale();
  else if (current === 'tender') renderTender();
  else if (current === 'complete') renderComplete();
  else if (current === 'returns') renderReturns();
  else if (current === 'report') renderReport();
  else if (current === 'open-till') {
    $('open-note').textContent = state.lastZ
      ? `Session ${state.lastZ.session + 1}: count the float in the drawer.`
      : 'Count the float in the drawer.';
  }
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
  if (sale) renderCoupons(sale);
  else $('coupons').replaceChildren();
  const offer = sale?.suggestion;
  $('suggestion').replaceChildren(offer
    ? h('button', { type: 'button', test: 'add-suggestion',
                    onclick: () => act(() => api('POST', '/api/sale/lines',
                                                 { sku: offer.sku, qty: 1 })) },
        `Often bought with it: ${offer.name} · ${formatMoney(offer.unit_price, storeCurrency)}`)
    : '');
  $('pay').disabled = !live;
  $('pay').textContent = sale?.paid ? 'Continue payment' : 'Pay';
  $('park').disabled = !live;
  $('open-coupon').disabled = Boolean(sale?.paid);
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
    h('span', {}, payment.label), h('span', {}, money(payment.amount)),
    // A voucher or store credit can be taken off again (supervisor); the hub gives it back.
    HUB_TENDERS.includes(payment.type) && payment.amount > 0
      ? button('Take off', 'payment-take-off', () => act((pin) => api(
        'POST', '/api/sale/payments/take-off', { reference: payment.reference,
                                                approver_pin: pin })), 'small') : null)));
  // Paid in full or more after a void: complete, giving the excess back; nothing left on
  // the sale: void it, giving the payments back.
  const live = sale.lines.some((line) => !line.voided);
  const paidUp = live && sale.remaining <= 0;
  const attempt = sale.card_attempt;
  const checking = attempt?.state === 'unknown'; // nothing else until the card is checked
  for (const test of ['tender-cash', 'tender-card', 'tender-voucher', 'tender-store-credit',
                      'tender-points', 'quick-cash']) {
    $(test).hidden = !live || paidUp || checking;
  }
  $('settle').hidden = !paidUp;
  $('settle').textContent = sale.remaining < 0 ? `Complete: give back ${money(-sale.remaining)}`
    : 'Complete sale';
  $('tender-void').hidden = live;
  $('quick-cash').replaceChildren(...(live && !paidUp ? [
    button(`Exact ${money(cashDue)}`, 'quick-exact', () => tender('cash')),
    ...quickCash(cashDue, sale.currency.exponent).map((amount) => button(
      money(amount), `quick-cash-${amount}`, () => tender('cash', amount)))] : []));
  $('card-check').hidden = !checking;
  if (checking) {
    $('card-check-note').textContent = `Card ${attempt.kind} of ${money(attempt.amount)}: no `
      + 'answer from the terminal. Check it: did it go through? (supervisor)';
  }
  tenderPad.show();
}

// A supervisor records what the terminal shows for a card call of unknown outcome.
function checkCard(wentThrough) {
  act((pin) => api('POST', '/api/sale/card-check', { went_through: wentThrough,
                                                     approver_pin: pin }));
}

function renderComplete() {
  const sale = state.completed;
  const cash = sale.payments.find((payment) => payment.type === 'cash');
  const refund = sale.kind === 'refund';
  $('refund-payments').replaceChildren();
  $('drawer-note').hidden = !cash;
  if (refund) {
    // Where the money went: back to the card(s) first, the rest in cash from the drawer.
    $('complete-label').textContent = 'Refunded';
    $('change-due').textContent = money(Math.abs(sale.total));
    $('complete-info').textContent = `Refund ${sale.ref}`;
    $('refund-payments').replaceChildren(...sale.payments.map((payment) => h('li',
      { test: 'refund-payment', 'data-type': payment.type },
      h('span', {}, refundedTo(payment)),
      h('span', {}, money(Math.abs(payment.amount))))));
    $('drawer-note').textContent = cash ? `Give the customer ${money(Math.abs(cash.amount))} `
      + 'and close the cash drawer.' : '';
    return;
  }
  // Cash given back (the excess after a void after payment) is a negative cash payment.
  const back = -sale.payments.filter((payment) => payment.type === 'cash' && payment.amount < 0)
    .reduce((sum, payment) => sum + payment.amount, 0);
  $('complete-label').textContent = (back && 'Cash back') || (cash ? 'Change due' : 'Paid');
  $('change-due').textContent = money(back || (cash ? sale.change ?? 0 : sale.total));
  $('complete-info').textContent = [`Sale ${sale.ref}`, `Total ${money(sale.total)}`,
    ...sale.payments.map((payment) => `${payment.label} ${money(payment.tendered
                                                                 ?? payment.amount)}`),
  ].join(' · ');
  $('drawer-note').textContent = 'Close the cash drawer after giving change.';
}

// `amount` in minor units; none: the till takes what remains (cash: rounded) due.
// Vouchers and store credit are asked of the hub: `extra` carries a voucher's code.
async function tender(type, amount = null, extra = {}) {
  const busy = { card: 'Card payment: follow the card terminal…',
                 voucher: 'Checking the voucher with the hub…',
                 store_credit: 'Checking the store credit with the hub…',
                 points: 'Checking the loyalty points with the hub…' }[type]
    ?? 'Taking payment…';
  const data = await act(() => api('POST', '/api/sale/tender', amount ? { type, amount, ...extra }
                                                                      : { type, ...extra }),
                         { busy });
  if (data) tenderPad.clear();
}

// A voucher's code, typed or scanned into the field; the tender pad's amount, or the rest.
function voucherDialog() {
  const amount = Number(tenderPad.value());
  const input = textField('voucher-code', 'Voucher code');
  const pay = () => {
    const code = input.value.trim();
    if (!code) return;
    closeDialog();
    tender('voucher', amount, { code });
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') pay(); // a scanner ends the code with Enter
  });
  openDialog('Voucher', 'voucher',
    h('p', { class: 'note', test: 'voucher-note' }, `Scan or type the voucher's code: it pays `
      + (amount ? money(amount) : 'what remains, or what is left on it')),
    h('div', { class: 'text-dialog' },
      h('div', { class: 'text-entry' }, input, keyboard(input)),
      h('div', { class: 'dialog-side' },
        button('Pay with voucher', 'voucher-pay', pay, 'primary'), cancelButton())));
  input.focus();
}

async function signIn(pin) {
  signInPad.clear();
  if (!pin) return;
  try {
    state.staff = await api('POST', '/api/auth/sign-in', { pin });
    hideBanner();
    await Promise.all([loadTill(), refresh()]);
  } catch (error) {
    forgetStaff(); // no till screen without the store and the session
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
  forgetStaff();
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
$('open-coupon').addEventListener('click', couponDialog);
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
$('tender-voucher').addEventListener('click', voucherDialog);
$('tender-store-credit').addEventListener('click',
  () => tender('store_credit', Number(tenderPad.value())));
$('tender-points').addEventListener('click',
  () => tender('points', Number(tenderPad.value())));
$('settle').addEventListener('click', () => act(() => api('POST', '/api/sale/complete'),
  { busy: 'Giving back: follow the card terminal if asked…' }));
$('tender-void').addEventListener('click', voidSaleDialog);
$('card-check-yes').addEventListener('click', () => checkCard(true));
$('card-check-no').addEventListener('click', () => checkCard(false));
$('new-sale').addEventListener('click', () => {
  state.completed = null;
  hideBanner();
  render();
  refresh();
});
$('reprint').addEventListener('click', reprint);
$('receipts-pending').addEventListener('click', printQueued);
$('receipt-preview').addEventListener('click', receiptPreview);
$('till-menu').addEventListener('click', tillMenu);
$('open-till').addEventListener('click', openTill);
$('open-count-clear').addEventListener('click', () => openCount.clear());
$('close-till').addEventListener('click', confirmClose);
$('close-cancel').addEventListener('click', () => {
  state.counting = false;
  render();
});
$('report-done').addEventListener('click', () => {
  state.report = null;
  render();
});
$('returns-code-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('returns-code-input');
  returnsCode(input.value);
  input.value = '';
});
$('returns-keyboard').addEventListener('click', returnsKeyboard);
$('no-receipt').addEventListener('click', () => act(
  (pin) => api('POST', '/api/returns', { no_receipt: true, approver_pin: pin })));
$('refund').addEventListener('click', () => act(
  (pin) => api('POST', '/api/sale/refund', { approver_pin: pin }),
  { busy: 'Refunding: follow the card terminal if asked…' }));
$('cancel-return').addEventListener('click', cancelReturnDialog);
$('returns-back').addEventListener('click', () => {
  state.returning = false;
  render();
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
  const form = { sale: 'code', returns: 'returns-code' }[screen()];
  if (modalOpen() || !form) return;
  const input = $(`${form}-input`);
  if (event.key.length === 1) {
    input.value += event.key;
    input.focus();
    event.preventDefault();
  } else if (event.key === 'Enter' && input.value) {
    event.preventDefault();
    $(`${form}-form`).requestSubmit();
  }
});

// The till's notice (a hardware scan refused, the drawer failing) is news once: the feed
// repeats the last one with every change.
let lastNotice;

async function onChange(change) {
  const notice = JSON.stringify(change.notice);
  if (lastNotice !== undefined && notice !== lastNotice && change.notice) {
    // A receipt scanned on the returns screen starts its return.
    if (screen() === 'returns' && !state.sale && isReceiptCode(change.notice.code)) {
      startReturn(change.notice.code);
    } else handleError(new ApiError(409, change.notice));
  }
  lastNotice = notice;
  state.receiptsPending = change.receipts_pending ?? 0;
  if (!state.staff) return;
  // The feed carries the sale for the signed-in cashier; fetch it only if it did not.
  if ('sale' in change) applySale(change.sale, change.revision);
  else await refresh();
}

async function boot() {
  try {
    state.staff = await api('GET', '/api/auth/me');
    await Promise.all([loadTill(), refresh()]);
  } catch {
    forgetStaff();
  }
  render();
  watchChanges(onChange);
}

boot();
