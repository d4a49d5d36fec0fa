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

/**
 * An axis `size` that fits its widest tick value, so the axis title (drawn outside `size`)
 * never overlaps the values; the shape of uPlot's own axis-autosize demo.
 */
const fitToValues = (u, values, axisIndex, cycle) => {
  const axis = u.axes[axisIndex];
  // uPlot asks again after the size changed the ticks; the second answer stands.
  if (cycle > 1) return axis._size;
  const widest = (values ?? []).reduce(
    (longest, value) => (String(value).length > longest.length ? String(value) : longest),
    '',
  );
  u.ctx.font = axis.font[0];
  return Math.ceil(
    axis.ticks.size + axis.gap + 4 + u.ctx.measureText(widest).width / devicePixelRatio,
  );
};
const TITLED_AXIS = { size: fitToValues, labelGap: 6, labelSize: 24 };

/**
 * A legend value: the hovered point's, or, with no point hovered (before any hover and once
 * the cursor leaves), the latest point's, so the legend never reads "--" while there is data.
 */
const latestWhenIdle =
  (format, empty = '--') =>
  (u, raw, seriesIndex, idx) => {
    const values = u.data[seriesIndex] ?? [];
    const value = idx == null ? values[values.length - 1] : raw;
    return value == null ? empty : format(value);
  };

/** A bar series of counts on `scale`, its legend showing the latest when nothing is hovered. */
const countBars = ({ size, ...series }) => ({
  ...series,
  paths: uPlot.paths.bars({ size }),
  points: { show: false },
  value: latestWhenIdle((value) => count.format(value)),
});

// Room for a day of the month; the month is written only where it starts and on the first tick.
const DAY_LABEL_PX = 30;
const monthDay = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const dayOfMonth = (seconds) => new Date(seconds * 1000).getUTCDate();
const dayLabels = (splits) =>
  splits.map((seconds, index) =>
    index === 0 || dayOfMonth(seconds) < dayOfMonth(splits[index - 1])
      ? monthDay.format(seconds * 1000)
      : String(dayOfMonth(seconds)),
  );
/**
 * One tick per bar at its UTC midnight (uPlot's own time ticks fall on local midnights and
 * may skip the last day); when bars are too narrow for every label, every n-th, counted back
 * from the last day so today always has its label.
 */
const daySplits = (u) => {
  const days = u.data[0] ?? [];
  const step = Math.max(
    1,
    Math.ceil((days.length * DAY_LABEL_PX) / Math.max(1, u.over.clientWidth)),
  );
  return days.filter((_, index) => (days.length - 1 - index) % step === 0);
};

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
        {
          splits: daySplits,
          values: (_u, splits) => {
            const labels = dayLabels(splits);
            // The days labelled, where a test can read what the canvas shows.
            dailyContainer.dataset.dayLabels = JSON.stringify(
              splits.map((seconds) => new Date(seconds * 1000).toISOString().slice(0, 10)),
            );
            return labels;
          },
        },
        { scale: 'orders', label: 'orders', ...TITLED_AXIS },
        {
          scale: 'money',
          side: 1,
          label: `revenue (${currency})`,
          ...TITLED_AXIS,
          grid: { show: false },
          values: (_u, ticks) =>
            ticks.map((tick) => formatMoney(tick * 10 ** minorDigits(currency), currency)),
        },
      ],
      series: [
        {
          label: 'day',
          value: latestWhenIdle((seconds) => new Date(seconds * 1000).toISOString().slice(0, 10)),
        },
        countBars({
          label: 'orders',
          scale: 'orders',
          fill: 'rgba(47,111,222,0.35)',
          stroke: '#2f6fde',
          size: [0.6, 40],
        }),
        {
          label: `revenue (${currency})`,
          scale: 'money',
          stroke: '#d9822b',
          width: 2,
          value: latestWhenIdle((value) =>
            formatMoney(Math.round(value * 10 ** minorDigits(currency)), currency),
          ),
        },
      ],
    },
    [[], [], []],
    dailyContainer,
  );
let dailyChart = makeDailyChart(dailyCurrency);

/** What each lag source means, in the words the page uses next to a lag or a freshness. */
const LAG_SOURCES = {
  'write-time': {
    short: 'write time',
    long: "from the item's write time (updatedAt)",
  },
  'stream-record': {
    short: 'stream time',
    long: "from the stream record's time, which DynamoDB Local stamps to the minute",
  },
};
const lagSourceOf = (source) => LAG_SOURCES[source] ?? { short: source, long: source };

// One chart per mapping, made when the mapping first appears in /pipeline.
const freshnessCharts = new Map();
const FRESHNESS_HEIGHT = 200;
const NO_RECORDS = 'no records';
const clockTime = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const makeFreshnessChart = (name) => {
  const figure = el('figure', undefined, {
    'data-consumer': name,
    'data-testid': `freshness-${name}`,
  });
  const caption = el('figcaption');
  caption.append(el('strong', name), el('span', '', { class: 'lag-source' }));
  const container = el('div', undefined, { class: 'chart' });
  figure.append(caption, container);
  byId('freshness-charts').append(figure);
  const chart = new uPlot(
    {
      ...sizeOf(container, FRESHNESS_HEIGHT),
      scales: {
        x: { time: true },
        ms: { range: (_u, _min, max) => [0, Math.max(100, (max ?? 0) * 1.15)] },
        rate: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.15)] },
      },
      axes: [
        // One line per tick: uPlot's default adds the date under the first, where it overlaps.
        { space: 70, values: (_u, ticks) => ticks.map((tick) => clockTime.format(tick * 1000)) },
        {
          scale: 'ms',
          label: 'write → done',
          ...TITLED_AXIS,
          values: (_u, ticks) => ticks.map(formatLag),
        },
        {
          scale: 'rate',
          side: 1,
          label: 'records/s',
          ...TITLED_AXIS,
          grid: { show: false },
        },
      ],
      series: [
        {
          label: 'bucket',
          value: latestWhenIdle((seconds) => clockTime.format(seconds * 1000)),
        },
        countBars({
          label: 'records/s',
          scale: 'rate',
          fill: 'rgba(46,139,87,0.25)',
          stroke: '#2e8b57',
          size: [0.8, 30],
        }),
        {
          label: 'p50',
          scale: 'ms',
          stroke: '#2f6fde',
          width: 2,
          value: latestWhenIdle(formatLag, NO_RECORDS),
        },
        {
          label: 'p99',
          scale: 'ms',
          stroke: '#c0392b',
          width: 2,
          dash: [6, 4],
          value: latestWhenIdle(formatLag, NO_RECORDS),
        },
      ],
    },
    [[], [], [], []],
    container,
  );
  const entry = { figure, caption, container, chart };
  freshnessCharts.set(name, entry);
  return entry;
};

new ResizeObserver(() => {
  statusChart.setSize(sizeOf(statusContainer, 220));
  dailyChart.setSize(sizeOf(dailyContainer, 260));
  for (const { chart, container } of freshnessCharts.values())
    chart.setSize(sizeOf(container, FRESHNESS_HEIGHT));
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

const LAG_ALERT_MS = 10_000;
// A lag from the stream record's time reads up to a minute high, so only past that is it late.
const STREAM_CLOCK_SLACK_MS = 60_000;
const lagIsLate = ({ lagMs, lagSource }) =>
  lagMs > LAG_ALERT_MS + (lagSource === 'stream-record' ? STREAM_CLOCK_SLACK_MS : 0);

const lagCell = (consumer) => {
  const source = lagSourceOf(consumer.lagSource);
  const cell = el('td', formatLag(consumer.lagMs), {
    class: lagIsLate(consumer) ? 'num alert' : 'num',
    'data-lag-source': consumer.lagSource,
    title: `lag ${source.long}`,
  });
  cell.append(el('small', source.short, { class: 'lag-source' }));
  return cell;
};

const renderFreshness = (consumer) => {
  const history = consumer.freshnessHistory;
  if (!history) return;
  const { figure, caption, chart } =
    freshnessCharts.get(consumer.name) ?? makeFreshnessChart(consumer.name);
  const { buckets } = history;
  chart.setData([
    buckets.map((bucket) => bucket.startMs / 1000),
    buckets.map((bucket) => bucket.throughputPerSecond),
    buckets.map((bucket) => bucket.p50Ms),
    buckets.map((bucket) => bucket.p99Ms),
  ]);
  const source = lagSourceOf(consumer.lagSource);
  caption.lastChild.textContent = ` · ${history.bucketSeconds} s buckets · freshness ${source.long}`;
  figure.dataset.lagSource = consumer.lagSource;
  figure.dataset.samples = String(buckets.reduce((sum, bucket) => sum + bucket.samples, 0));
  figure.dataset.points = String(buckets.filter((bucket) => bucket.p50Ms !== null).length);
};

const renderPipeline = ({ consumers }) => {
  for (const consumer of consumers) renderFreshness(consumer);
  byId('pipeline').replaceChildren(
    ...consumers.map((consumer) => {
      const row = el('tr', undefined, { 'data-consumer': consumer.name });
      const cell = (value, alert = false) =>
        el('td', value, { class: alert ? 'num alert' : 'num' });
      row.append(
        el('td', consumer.name),
        lagCell(consumer),
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

const PAGE_SIZE = 20;
const PLACEHOLDERS = {
  q: 'customer name, email, product or order id',
  query: 'query syntax: ada AND "blue mug", status:paid -itemNames:mug',
};

// The API pages forward only, with an opaque cursor; going back reuses the cursors seen.
const searching = {
  kind: 'orders',
  textParameter: {},
  cursors: [undefined],
  page: 0,
  next: undefined,
  /** Counts the requests, so an answer overtaken by a later request is dropped. */
  asked: 0,
};

const showSearchError = (message) => {
  const error = byId('search-error');
  error.textContent = message;
  error.hidden = message === '';
};

const renderSearchPage = (result) => {
  const { kind, page } = searching;
  byId('search-count').textContent = `${count.format(result.total)} found`;
  byId('search-results').replaceChildren(
    ...result.hits.map((hit) => {
      const row = el('tr', undefined, { 'data-id': kind === 'orders' ? hit.orderId : hit.userId });
      row.append(
        ...(kind === 'orders' ? orderRow(hit) : userRow(hit)).map((value) => el('td', value)),
      );
      return row;
    }),
  );
  const first = page * PAGE_SIZE + 1;
  byId('search-range').textContent =
    result.hits.length === 0
      ? ''
      : `rows ${count.format(first)}–${count.format(first + result.hits.length - 1)} of ${count.format(result.total)}`;
  byId('search-pager').hidden = result.hits.length === 0 && page === 0;
  byId('search-prev').disabled = page === 0;
  byId('search-next').disabled = searching.next === undefined;
};

const runSearch = async () => {
  const { kind, textParameter, cursors, page } = searching;
  const cursor = cursors[page];
  const query = new URLSearchParams({
    size: String(PAGE_SIZE),
    ...textParameter,
    ...(cursor ? { cursor } : {}),
  });
  const asked = ++searching.asked;
  try {
    const result = await getJson(`/search/${kind}?${query}`);
    if (asked !== searching.asked) return;
    searching.next = result.cursor;
    showSearchError('');
    renderSearchPage(result);
  } catch (failure) {
    if (asked !== searching.asked) return;
    // A refused query has no results, not zero of them: show why, and no stale rows.
    searching.next = undefined;
    showSearchError(`Search failed: ${failure.message}`);
    byId('search-count').textContent = '';
    byId('search-results').replaceChildren();
    byId('search-pager').hidden = true;
  }
};

const search = () => {
  const kind = byId('search-kind').value;
  const text = byId('search-input').value.trim();
  const mode = byId('search-mode').value;
  byId('search-head').replaceChildren(el('tr', undefined));
  byId('search-head').firstChild.append(...searchColumns[kind].map((name) => el('th', name)));
  Object.assign(searching, {
    kind,
    // `q` reads the text as words, `query` in OpenSearch's query_string syntax.
    textParameter: text ? { [mode]: text } : {},
    cursors: [undefined],
    page: 0,
    next: undefined,
  });
  return runSearch();
};

byId('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  search();
});
byId('search-mode').addEventListener('change', (event) => {
  byId('search-input').placeholder = PLACEHOLDERS[event.target.value] ?? '';
});
byId('search-next').addEventListener('click', () => {
  if (searching.next === undefined) return;
  searching.cursors[searching.page + 1] = searching.next;
  searching.page++;
  runSearch();
});
byId('search-prev').addEventListener('click', () => {
  if (searching.page === 0) return;
  searching.page--;
  runSearch();
});
