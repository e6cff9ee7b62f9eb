/*
 * filter_bar.js - the filter controls above the feed (types, tools and
 * projects menus, time range, session chips, Clear) and the URL that mirrors
 * the filters and the open session view (filter.js makes and reads the
 * query).  The search box is search_view.js's.  A change of filters is
 * announced as a "chronicle-filters" event on document (the history search
 * listens: its results follow the project, session and type filters).
 */
import { projectName, titleOf } from '/assets/board.js';
import { $, closeMenus, el } from '/assets/dom.js';
import { iconOf, typeClass } from '/assets/event_meta.js';
import { clearFilters, filtersFromQuery, filtersToQuery, rangeBounds } from '/assets/filter.js';
import { rebuildView } from '/assets/feed.js';
import { fromLocalInput, toLocalInput } from '/assets/format.js';
import { ensureHistory } from '/assets/live.js';
import { S, projectsSeen, requestFrame } from '/assets/model.js';

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
  document.dispatchEvent(new Event('chronicle-filters'));
}

export function clearAll() {
  clearFilters(S.filters);
  filtersChanged();
}

function buildMenu(ddId, values, set) {
  const menu = document.querySelector('#' + ddId + ' .menu');
  const types = ddId === 'dd-types', projects = ddId === 'dd-projects';
  const frag = document.createDocumentFragment();
  const sorted = projects ? [...values].sort((a, b) => projectName(a).localeCompare(projectName(b))) : [...values].sort();
  for (const v of sorted) {
    const l = el('label');
    const cb = l.appendChild(el('input'));
    cb.type = 'checkbox';
    cb.checked = set.has(v);
    cb.value = v;
    cb.addEventListener('change', () => { if (cb.checked) set.add(v); else set.delete(v); filtersChanged(); });
    l.appendChild(el('span', types ? typeClass(v) : null, (types ? iconOf(v) + ' ' : '') + (projects ? projectName(v) : v)));
    if (projects) l.title = v || '(no project)';
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
    if (ddId === 'dd-types') buildMenu(ddId, S.typesSeen, S.filters.types);
    else if (ddId === 'dd-tools') buildMenu(ddId, S.toolsSeen, S.filters.tools);
    else buildMenu(ddId, projectsSeen(S), S.filters.projects);
    menu.hidden = false;
  }
}

/* The controls show S.filters (after a change from elsewhere, or the URL). */
export function syncFilterControls() {
  const f = S.filters;
  if (S.search.scope === 'loaded' || S.features.search !== true) $('search').value = f.q;
  $('range').value = f.range;
  $('custom-range').hidden = f.range !== 'custom';
  $('range-from').value = toLocalInput(f.from);
  $('range-to').value = toLocalInput(f.to);
  $('btn-types').textContent = 'Types' + (f.types.size ? ' (' + f.types.size + ')' : '') + ' ▾';
  $('btn-types').classList.toggle('active-filter', f.types.size > 0);
  $('btn-tools').textContent = 'Tools' + (f.tools.size ? ' (' + f.tools.size + ')' : '') + ' ▾';
  $('btn-tools').classList.toggle('active-filter', f.tools.size > 0);
  $('btn-projects').textContent = (f.projects.size === 1 ? projectName([...f.projects][0]) : 'Projects' + (f.projects.size ? ' (' + f.projects.size + ')' : '')) + ' ▾';
  $('btn-projects').classList.toggle('active-filter', f.projects.size > 0);
  const chips = $('session-chips');
  chips.replaceChildren();
  for (const sid of f.sessions) {
    const c = chips.appendChild(el('span', 'chip'));
    c.appendChild(el('span', 'chip-text', titleOf(S.sessions.get(sid), sid)));
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
  $('btn-projects').addEventListener('click', (e) => { e.stopPropagation(); toggleMenu('dd-projects'); });
  document.addEventListener('click', (e) => { if (!e.target.closest('.dropdown')) closeMenus(); });
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
