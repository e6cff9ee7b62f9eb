/*
 * search_view.js - the search box.  Where the server has GET /api/search
 * (feature-detected: a 404 leaves only the local filter) it searches all
 * history: results replace the feed while a query is typed, each with its
 * session, time and what matched, hits highlighted (<mark> elements made
 * with textContent: the snippet is data, never markup), older results by
 * cursor; a click opens the event (or, for Claude's reply, the session's
 * conversation).  The scope menu switches to "loaded events", the local
 * filter of what the page holds; the box's placeholder and the results'
 * heading say which one runs.
 */
import { projectName, titleOf } from '/assets/board.js';
import { openEventById } from '/assets/detail.js';
import { $, el } from '/assets/dom.js';
import { filtersChanged } from '/assets/filter_bar.js';
import { renderFeed } from '/assets/feed.js';
import { fmtFeedTime, fmtNum } from '/assets/format.js';
import { api } from '/assets/live.js';
import { S } from '/assets/model.js';
import { hitWhat, searchable, searchUrl, snippetParts } from '/assets/search.js';
import { openSession, setTab } from '/assets/session_view.js';

const DEBOUNCE_LOCAL_MS = 120;
const DEBOUNCE_HISTORY_MS = 300;

function historyMode() { return S.features.search === true && S.search.scope === 'history'; }

/* The box's label and the scope menu, for the mode in force. */
export function syncSearchScope() {
  const on = S.features.search === true;
  $('search-scope').hidden = !on;
  $('search-scope').value = S.search.scope;
  $('search').placeholder = historyMode() ? 'Search all history ( / )' : 'Filter loaded events ( / )';
}

/* The server answered the probe: search there, or only locally. */
export function searchAvailable(on) {
  S.features.search = on;
  if (on && S.filters.q) {
    // A ?q= from the URL was a local filter: keep it so.
    S.search.scope = 'loaded';
  }
  syncSearchScope();
}

function showResults(on) {
  $('search-results').hidden = !on;
  $('feed').hidden = on;
  if (!on) renderFeed();
}

export function closeSearch() {
  S.search.seq++;
  S.search.q = '';
  S.search.results = [];
  $('search').value = '';
  showResults(false);
}

function drawHit(r) {
  const d = el('div', 'hit');
  d.dataset.kind = r.kind;
  if (r.event_id !== null && r.event_id !== undefined) d.dataset.eventId = String(r.event_id);
  const h = d.appendChild(el('div', 'hit-head'));
  const s = S.sessions.get(r.session_id);
  h.appendChild(el('span', null, fmtFeedTime(r.ts_ms, Date.now())));
  h.appendChild(el('span', 'hit-title', titleOf(s, r.session_id))).title = r.session_id || '';
  h.appendChild(el('span', null, projectName(r.project || (s && (s.project || s.cwd)))));
  h.appendChild(el('span', null, hitWhat(r)));
  const sn = d.appendChild(el('div', 'hit-snippet'));
  for (const part of snippetParts(r.snippet)) sn.appendChild(part.hit ? el('mark', null, part.text) : document.createTextNode(part.text));
  d.addEventListener('click', () => {
    if (r.event_id !== null && r.event_id !== undefined) openEventById(r.event_id);
    else if (r.session_id) { openSession(r.session_id); if (S.features.conversation) setTab('conversation'); }
  });
  return d;
}

async function runSearch(more) {
  const st = S.search;
  const q = $('search').value;
  if (!searchable(q)) { closeSearch(); return; }
  const seq = ++st.seq;
  if (!more) { st.q = q; st.next = null; st.results = []; $('search-list').replaceChildren(); }
  st.busy = true;
  showResults(true);
  $('search-head').textContent = 'Searching all history for “' + q + '”…';
  let j;
  try {
    j = await api(searchUrl(q, S.filters, more ? st.next : null));
  } catch (e) {
    if (seq !== st.seq) return;
    st.busy = false;
    if (e.status === 404) { searchAvailable(false); showResults(false); localFilter(); return; }
    $('search-head').textContent = (e.status === 400 ? 'Not a search the server understands: ' : 'Search failed: ') + e.message.replace(/^[^:]*: /, '');
    return;
  }
  if (seq !== st.seq) return;
  st.busy = false;
  st.next = j.next_before === undefined ? null : j.next_before;
  const list = $('search-list');
  for (const r of j.results || []) { st.results.push(r); list.appendChild(drawHit(r)); }
  const n = st.results.length;
  const narrowed = S.filters.projects.size || S.filters.sessions.size || S.filters.types.size ? ' (in the selected projects, sessions and types)' : '';
  $('search-head').textContent = 'Searching all history for “' + q + '”' + narrowed + ': ' + (n ? fmtNum(n) + (st.next ? '+' : '') + ' result' + (n === 1 ? '' : 's') : 'no results');
  $('search-more').hidden = !st.next;
}

function localFilter() {
  S.filters.q = $('search').value;
  filtersChanged();
}

export function wireSearch() {
  $('search').addEventListener('input', () => {
    clearTimeout(S.searchTimer);
    if (historyMode()) S.searchTimer = setTimeout(() => runSearch(false), DEBOUNCE_HISTORY_MS);
    else S.searchTimer = setTimeout(localFilter, DEBOUNCE_LOCAL_MS);
  });
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); clearTimeout(S.searchTimer); if (historyMode()) runSearch(false); else localFilter(); $('search').blur(); }
  });
  $('search-scope').addEventListener('change', () => {
    S.search.scope = $('search-scope').value;
    syncSearchScope();
    if (historyMode()) { if (S.filters.q) { S.filters.q = ''; filtersChanged(); } runSearch(false); }
    else { closeSearchPanelOnly(); localFilter(); }
  });
  $('search-close').addEventListener('click', closeSearch);
  $('search-more').addEventListener('click', () => runSearch(true));
}

function closeSearchPanelOnly() { S.search.seq++; showResults(false); }

/* Whether the results panel is open (Esc closes it first). */
export function searchOpen() { return !$('search-results').hidden; }

/* Filters changed while results show: search again with them. */
export function searchFiltersChanged() { if (searchOpen() && historyMode()) runSearch(false); }
