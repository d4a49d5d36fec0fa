// The dashboard: polls the API every REFRESH_MS and redraws. Data from the API is only ever
// set as text, never as HTML, since names and emails come from whoever wrote them.
/* global uPlot */

const REFRESH_MS = 1500;
const REQUEST_TIMEOUT_MS = 3000;
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'];
const STATUS_COLOURS = ['#8e9aaf', '#2f6fde', '#7b5cd6', '#2e8b57', '#c0392b'];

const byId = (id) => document.getElementById(id);

/** Builds an element with text content and attributes. */
const el = (tag, text, attributes = {}) => {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
};

const getJson = async (path) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(path, { signal: controller.signal, cache: 'no-store' });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body?.error?.message ?? `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  } finally {
    clearTimeout(timer);
  }
};

const count = new Intl.NumberFormat();
const moneyFormats = new Map();
/** Money in minor units, formatted with its currency's own number of decimals. */
const formatMoney = (amount, currency) => {
  let format = moneyFormats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    moneyFormats.set(currency, format);
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
};
const minorDigits = (currency) => {
  formatMoney(0, currency);
  return moneyFormats.get(currency).resolvedOptions().maximumFractionDigits ?? 2;
};

const formatLag = (ms) =>
  ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`;

const sizeOf = (container, height) => ({
  width: Math.max(280, container.clientWidth),
  height,
});

// --- charts -------------------------------------------------------------------------------

const statusContainer = byId('status-chart');
const statusChart = new uPlot(
  {
    ...sizeOf(statusContainer, 220),
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: [-0.6, STATUSES.length - 0.4] },
      y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.15)] },
    },
    axes: [
      {
        values: (_u, ticks) => ticks.map((tick) => STATUSES[tick] ?? ''),
        splits: () => STATUSES.map((_, index) => index),
        grid: { show: false },
      },
      { size: 50 },
    ],
    series: [
      {},
      {
        label: 'orders',
        fill: '#2f6fde',
        stroke: '#2f6fde',
        paths: uPlot.paths.bars({ size: [0.6, 80] }),
        points: { show: false },
      },
    ],
  },
  [STATUSES.map((_, index) => index), STATUSES.map(() => 0)],
  statusContainer,
);

const dailyContainer = byId('daily-chart');
let dailyCurrency = 'EUR';
const makeDailyChart = (currency) =>
  new uPlot(
    {
      ...sizeOf(dailyContainer, 260),
      scales: {
        // Half a day either side, so the first and last bars are drawn whole.
        x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
        orders: { range: (_u, _min, max) => [0, Math.max(4, max * 1.15)] },
        money: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] },
      },
      axes: [
        {},
        { scale: 'orders', label: 'orders', size: 55 },
        {
          scale: 'money',
          side: 1,
          label: `revenue (${currency})`,
          size: 80,
          grid: { show: false },
          values: (_u, ticks) =>
            ticks.map((tick) => formatMoney(tick * 10 ** minorDigits(currency), currency)),
        },
      ],
      series: [
        {
          label: 'day',
          value: (_u, seconds) =>
            seconds == null ? '' : new Date(seconds * 1000).toISOString().slice(0, 10),
        },
        {
          label: 'orders',
          scale: 'orders',
          fill: 'rgba(47,111,222,0.35)',
          stroke: '#2f6fde',
          paths: uPlot.paths.bars({ size: [0.6, 40] }),
          points: { show: false },
        },
        {
          label: `revenue (${currency})`,
          scale: 'money',
          stroke: '#d9822b',
          width: 2,
          value: (_u, value) =>
            value == null ? '' : formatMoney(value * 10 ** minorDigits(currency), currency),
        },
      ],
    },
    [[], [], []],
    dailyContainer,
  );
let dailyChart = makeDailyChart(dailyCurrency);

new ResizeObserver(() => {
  statusChart.setSize(sizeOf(statusContainer, 220));
  dailyChart.setSize(sizeOf(dailyContainer, 260));
}).observe(document.querySelector('main'));

// --- panels -------------------------------------------------------------------------------

const renderStatus = ({ counts }) => {
  const tiles = byId('status-tiles');
  const total = STATUSES.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
  tiles.replaceChildren(
    ...[['total', total], ...STATUSES.map((status) => [status, counts[status] ?? 0])].map(
      ([label, value], index) => {
        const tile = el('li', undefined, { 'data-testid': `status-${label}` });
        if (index > 0) tile.style.borderTop = `3px solid ${STATUS_COLOURS[index - 1]}`;
        tile.append(
          el('span', label, { class: 'label' }),
          el('span', count.format(value), { class: 'value' }),
        );
        return tile;
      },
    ),
  );
  statusChart.setData([
    STATUSES.map((_, index) => index),
    STATUSES.map((status) => counts[status] ?? 0),
  ]);
  statusContainer.dataset.total = String(total);
};

const renderDaily = ({ from, to, series }) => {
  const revenueByCurrency = new Map();
  for (const point of series)
    for (const [currency, amount] of Object.entries(point.revenue))
      revenueByCurrency.set(currency, (revenueByCurrency.get(currency) ?? 0) + amount);
  // Amounts in different currencies do not add up, so the chart shows the largest one.
  const currency = [...revenueByCurrency].sort((a, b) => b[1] - a[1])[0]?.[0] ?? dailyCurrency;
  if (currency !== dailyCurrency) {
    dailyChart.destroy();
    dailyCurrency = currency;
    dailyChart = makeDailyChart(currency);
  }
  const digits = minorDigits(currency);
  dailyChart.setData([
    series.map((point) => Date.parse(`${point.day}T00:00:00Z`) / 1000),
    series.map((point) => point.orders),
    series.map((point) => (point.revenue[currency] ?? 0) / 10 ** digits),
  ]);
  const orders = series.reduce((sum, point) => sum + point.orders, 0);
  dailyContainer.dataset.orders = String(orders);
  dailyContainer.dataset.revenue = String(revenueByCurrency.get(currency) ?? 0);
  byId('daily-range').textContent =
    `${from} to ${to}, UTC · ${count.format(orders)} orders · ${formatMoney(revenueByCurrency.get(currency) ?? 0, currency)}`;
};

const renderTop = ({ day, products }) => {
  byId('top-day').textContent = `${day}, UTC`;
  const body = byId('top-products');
  if (products.length === 0) {
    const row = el('tr');
    row.append(el('td', 'no views yet today', { colspan: '3', class: 'empty' }));
    body.replaceChildren(row);
    return;
  }
  const most = products[0].views || 1;
  body.replaceChildren(
    ...products.map((product) => {
      const row = el('tr', undefined, { 'data-product': product.productId });
      const meter = el('td', undefined, { class: 'meter', 'aria-hidden': 'true' });
      const bar = el('span');
      bar.style.width = `${Math.round((product.views / most) * 100)}%`;
      meter.append(bar);
      row.append(
        el('td', product.productId),
        el('td', count.format(product.views), { class: 'num' }),
        meter,
      );
      return row;
    }),
  );
};

const renderPipeline = ({ consumers }) => {
  byId('pipeline').replaceChildren(
    ...consumers.map((consumer) => {
      const row = el('tr', undefined, { 'data-consumer': consumer.name });
      const cell = (value, alert = false) =>
        el('td', value, { class: alert ? 'num alert' : 'num' });
      row.append(
        el('td', consumer.name),
        cell(formatLag(consumer.lagMs), consumer.lagMs > 10_000),
        cell(count.format(consumer.throughputPerSecond)),
        cell(count.format(consumer.processed)),
        cell(count.format(consumer.failures), consumer.failures > 0),
        cell(count.format(consumer.retries)),
        cell(count.format(consumer.dlqDepth), consumer.dlqDepth > 0),
        cell(count.format(consumer.events.polled)),
        cell(count.format(consumer.events.filteredOut)),
        cell(count.format(consumer.events.invoked)),
        cell(count.format(consumer.events.failedInvoke), consumer.events.failedInvoke > 0),
        cell(count.format(consumer.events.dropped), consumer.events.dropped > 0),
        cell(consumer.sandbox ? count.format(consumer.sandbox.coldStarts) : 'in-process'),
      );
      return row;
    }),
  );
};

// --- freshness ----------------------------------------------------------------------------

let lastSuccess;
const markUp = () => {
  lastSuccess = new Date();
  byId('connection').className = 'dot up';
  byId('last-updated').textContent =
    `updated ${lastSuccess.toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
  byId('api-banner').hidden = true;
  document.body.classList.remove('stale');
};
const markDown = (error) => {
  byId('connection').className = 'dot down';
  const since = lastSuccess
    ? `The figures below are from ${lastSuccess.toLocaleTimeString()}.`
    : 'No figures yet.';
  const banner = byId('api-banner');
  banner.textContent = `The API is not answering (${error.message}). ${since} Retrying every ${REFRESH_MS / 1000} s…`;
  banner.hidden = false;
  byId('last-updated').textContent = lastSuccess
    ? `last updated ${lastSuccess.toLocaleTimeString()}`
    : 'never updated';
  document.body.classList.add('stale');
};

const today = () => new Date().toISOString().slice(0, 10);

const refresh = async () => {
  const results = await Promise.allSettled([
    getJson('/aggregates/status').then(renderStatus),
    getJson('/aggregates/daily').then(renderDaily),
    getJson(`/aggregates/products/top?day=${today()}&limit=10`).then(renderTop),
    getJson('/pipeline').then(renderPipeline),
  ]);
  const failed = results.find((result) => result.status === 'rejected');
  // A deployment without the local runner answers /pipeline with 501, which is not an outage.
  if (failed && failed.reason?.status !== 501) markDown(failed.reason);
  else markUp();
};

const loop = async () => {
  await refresh();
  setTimeout(loop, REFRESH_MS);
};
loop();

// --- search -------------------------------------------------------------------------------

const searchColumns = {
  orders: ['order', 'customer', 'status', 'total', 'items', 'created'],
  users: ['user', 'name', 'email', 'created'],
};

const orderRow = (hit) => [
  hit.orderId,
  hit.customerName ?? hit.userId,
  hit.status,
  formatMoney(hit.total.amount, hit.total.currency),
  (hit.itemNames ?? []).join(', '),
  hit.createdAt.replace('T', ' ').slice(0, 19),
];
const userRow = (hit) => [
  hit.userId,
  hit.name,
  hit.email,
  hit.createdAt.replace('T', ' ').slice(0, 19),
];

const search = async () => {
  const kind = byId('search-kind').value;
  const text = byId('search-input').value.trim();
  const error = byId('search-error');
  byId('search-head').replaceChildren(el('tr', undefined));
  byId('search-head').firstChild.append(...searchColumns[kind].map((name) => el('th', name)));
  try {
    const query = new URLSearchParams({ size: '20', ...(text ? { q: text } : {}) });
    const result = await getJson(`/search/${kind}?${query}`);
    error.hidden = true;
    byId('search-count').textContent = `${count.format(result.total)} found`;
    const rows = result.hits.map((hit) => {
      const row = el('tr', undefined, { 'data-id': kind === 'orders' ? hit.orderId : hit.userId });
      row.append(
        ...(kind === 'orders' ? orderRow(hit) : userRow(hit)).map((value) => el('td', value)),
      );
      return row;
    });
    byId('search-results').replaceChildren(...rows);
  } catch (failure) {
    error.textContent = `Search failed: ${failure.message}`;
    error.hidden = false;
    byId('search-count').textContent = '';
  }
};

byId('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  search();
});
