/*
 * filter_bar.js - the filter controls above the feed (types and tools menus,
 * search, time range, session chips, Clear) and the URL that mirrors the
 * filters and the open session view (filter.js makes and reads the query).
 */
import { $, closeMenus, el } from '/assets/dom.js';
import { iconOf, typeClass } from '/assets/event_meta.js';
import { clearFilters, filtersFromQuery, filtersToQuery, rangeBounds } from '/assets/filter.js';
import { rebuildView } from '/assets/feed.js';
import { fromLocalInput, shortId, toLocalInput } from '/assets/format.js';
import { ensureHistory } from '/assets/live.js';
import { S, requestFrame } from '/assets/model.js';

const SEARCH_DEBOUNCE_MS = 120;

/* The filters and the open session view into the address bar. */
export function writeUrl() {
  history.replaceState(null, '', location.pathname + filtersToQuery(S.filters, S.svSession) + location.hash);
}

/* The filters from the address bar; returns the session view to open. */
export function readUrl() {
  const { filters, open } = filtersFromQuery(location.search);
  Object.assign(S.filters, filters);
  return open;
}

/* After any filter change: URL, controls, view, sidebar (selected
 * sessions), and older history when the time range reaches further back. */
export function filtersChanged() {
  writeUrl();
  syncFilterControls();
  rebuildView();
  S.sideDirty = true;
  requestFrame();
  const [from] = rangeBounds(S.filters, Date.now());
  if (from !== null) ensureHistory(from);
}

export function clearAll() {
  clearFilters(S.filters);
  filtersChanged();
}

function buildMenu(ddId, values, set) {
  const menu = document.querySelector('#' + ddId + ' .menu');
  const types = ddId === 'dd-types';
  const frag = document.createDocumentFragment();
  for (const v of [...values].sort()) {
    const l = el('label');
    const cb = l.appendChild(el('input'));
    cb.type = 'checkbox';
    cb.checked = set.has(v);
    cb.value = v;
    cb.addEventListener('change', () => { if (cb.checked) set.add(v); else set.delete(v); filtersChanged(); });
    l.appendChild(el('span', types ? typeClass(v) : null, (types ? iconOf(v) + ' ' : '') + v));
    frag.appendChild(l);
  }
  if (!values.size) frag.appendChild(el('div', 'muted', 'none yet'));
  menu.replaceChildren(frag);
}

function toggleMenu(ddId) {
  const menu = document.querySelector('#' + ddId + ' .menu');
  const show = menu.hidden;
  closeMenus();
  if (show) {
    const types = ddId === 'dd-types';
    buildMenu(ddId, types ? S.typesSeen : S.toolsSeen, types ? S.filters.types : S.filters.tools);
    menu.hidden = false;
  }
}

/* The controls show S.filters (after a change from elsewhere, or the URL). */
export function syncFilterControls() {
  const f = S.filters;
  $('search').value = f.q;
  $('range').value = f.range;
  $('custom-range').hidden = f.range !== 'custom';
  $('range-from').value = toLocalInput(f.from);
  $('range-to').value = toLocalInput(f.to);
  $('btn-types').textContent = 'Types' + (f.types.size ? ' (' + f.types.size + ')' : '') + ' ▾';
  $('btn-types').classList.toggle('active-filter', f.types.size > 0);
  $('btn-tools').textContent = 'Tools' + (f.tools.size ? ' (' + f.tools.size + ')' : '') + ' ▾';
  $('btn-tools').classList.toggle('active-filter', f.tools.size > 0);
  const chips = $('session-chips');
  chips.replaceChildren();
  for (const sid of f.sessions) {
    const c = chips.appendChild(el('span', 'chip', 'session ' + shortId(sid)));
    c.title = sid;
    const x = c.appendChild(el('button', null, '×'));
    x.title = 'remove';
    x.addEventListener('click', () => { f.sessions.delete(sid); filtersChanged(); });
  }
}

export function wireFilterBar() {
  $('btn-clear').addEventListener('click', clearAll);
  $('btn-types').addEventListener('click', (e) => { e.stopPropagation(); toggleMenu('dd-types'); });
  $('btn-tools').addEventListener('click', (e) => { e.stopPropagation(); toggleMenu('dd-tools'); });
  document.addEventListener('click', (e) => { if (!e.target.closest('.dropdown')) closeMenus(); });
  $('search').addEventListener('input', () => {
    clearTimeout(S.searchTimer);
    S.searchTimer = setTimeout(() => { S.filters.q = $('search').value; filtersChanged(); }, SEARCH_DEBOUNCE_MS);
  });
  $('search').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); $('search').blur(); } });
  $('range').addEventListener('change', () => {
    const f = S.filters;
    f.range = $('range').value;
    if (f.range === 'custom' && f.from === null) { f.from = Date.now() - 3600000; f.to = null; }
    filtersChanged();
  });
  const custom = () => {
    S.filters.from = fromLocalInput($('range-from').value); // datetime-local is local time
    S.filters.to = fromLocalInput($('range-to').value);
    filtersChanged();
  };
  $('range-from').addEventListener('change', custom);
  $('range-to').addEventListener('change', custom);
}
