/*
 * preview.js — paging, sorting and filtering for the datastore table preview.
 * Classic script: <script src="/static/js/preview.js" defer></script>. Needs no library.
 *
 * MARKUP CONTRACT (the server renders this; the page works without JS and shows the first page):
 *
 *   <section class="ds-preview"
 *            data-resource-id="RESOURCE_ID"                      required
 *            data-api="/api/3/action/datastore_search"          required
 *            data-page-size="20"                                 optional, default 20 (1–1000)
 *            data-total="1234"                                   optional: the row count, so "次へ"
 *                                                                 is exact before the first fetch
 *            data-label-next="次へ" data-label-prev="前へ"
 *            data-label-filter="絞り込み"                         label of the filter input
 *            data-label-page="{from}–{to} 件目 / 全 {total} 件"
 *            data-label-sort-asc="昇順" data-label-sort-desc="降順"
 *            data-label-sorted="{column}：{direction}"           optional, prefixed to the status
 *            data-label-loading="読み込み中…"                     optional
 *            data-label-empty="該当するデータはありません"         optional
 *            data-label-error="読み込めませんでした：{message}"    optional
 *            aria-label="表のプレビュー">
 *     <div class="table-scroll" role="region" tabindex="0" aria-label="…">   (recommended wrapper)
 *       <table class="ds-table">
 *         <caption>…</caption>
 *         <thead><tr><th scope="col" data-column="COLUMN_ID">Label</th>…</tr></thead>
 *         <tbody><tr><td>…</td>…</tr>…</tbody>            (first page, server-rendered)
 *       </table>
 *     </div>
 *     <nav class="ds-pager" aria-label="表のページ"></nav>     (any content is replaced)
 *     <p class="ds-status" aria-live="polite">1–20 件目 / 全 1234 件</p>
 *   </section>
 *
 * What the script adds:
 *   - before the table's wrapper: <form class="ds-filter"><label for=…>絞り込み</label>
 *     <input type="search" name="q" id="ds-filter-N"></form> — debounced (350 ms, waits for
 *     IME composition to end); Enter searches at once;
 *   - in every th[data-column]: <button type="button" class="ds-sort">Label<span
 *     class="ds-sort-icon" aria-hidden="true"></span></button>; th gets aria-sort
 *     ascending/descending (none → 昇順 → 降順 → none);
 *   - in .ds-pager: <button type="button" class="ds-prev">前へ</button>
 *     <button type="button" class="ds-next">次へ</button> (aria-disabled at the ends, so focus stays);
 *   - GET data-api?resource_id&limit&offset[&sort="<column>" asc|desc][&q] and tbody re-rendered
 *     with textContent only; .ds-status updated; section gets aria-busy while loading.
 * Columns shown are exactly the th[data-column] ones, in order; records are objects keyed by column.
 */
(function () {
  'use strict';

  const DEBOUNCE_MS = 350;
  let counter = 0;

  // Shared helpers from site.js (loaded first on every page).
  const { fill, formatNumber } = window.Tsunagu;

  function cellText(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  function intAttr(value, fallback, min, max) {
    const n = Number.parseInt(value, 10);
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
  }

  function errorMessage(body, status) {
    const error = body && body.error;
    if (error && typeof error === 'object') {
      if (error.message) return String(error.message);
      for (const [key, value] of Object.entries(error)) {
        if (key.startsWith('__')) continue;
        return Array.isArray(value) ? value.join(' ') : String(value);
      }
    }
    return 'HTTP ' + status;
  }

  function setup(section) {
    const table = section.querySelector('table.ds-table');
    const tbody = table && table.tBodies[0];
    const api = section.dataset.api;
    const resourceId = section.dataset.resourceId;
    if (!table || !tbody || !api || !resourceId) return;
    const headers = Array.from(table.querySelectorAll('thead th[data-column]'));
    if (!headers.length) return;
    const columns = headers.map((th) => th.dataset.column);
    const d = section.dataset;
    const labels = {
      next: d.labelNext || '次へ',
      prev: d.labelPrev || '前へ',
      filter: d.labelFilter || '絞り込み',
      page: d.labelPage || '{from}–{to} / {total}',
      asc: d.labelSortAsc || '昇順',
      desc: d.labelSortDesc || '降順',
      sorted: d.labelSorted || '{column}：{direction}',
      loading: d.labelLoading || '読み込み中…',
      empty: d.labelEmpty || '該当するデータはありません',
      error: d.labelError || '読み込めませんでした：{message}',
    };
    const pageSize = intAttr(d.pageSize, 20, 1, 1000);
    const pager = section.querySelector('.ds-pager');
    const status = section.querySelector('.ds-status');
    const state = {
      offset: 0,
      q: '',
      sort: null, // {column, dir: 'asc' | 'desc', label}
      rows: tbody.rows.length,
      total: d.total !== undefined && d.total !== '' ? intAttr(d.total, null, 0, Number.MAX_SAFE_INTEGER) : null,
    };
    let controller = null;
    let loadingTimer = 0;
    counter += 1;

    // Filter box, placed before the element that holds the table (its scroll wrapper).
    let anchor = table;
    while (anchor.parentElement && anchor.parentElement !== section) anchor = anchor.parentElement;
    const filterForm = document.createElement('form');
    filterForm.className = 'ds-filter';
    const filterId = 'ds-filter-' + counter;
    const filterLabel = document.createElement('label');
    filterLabel.htmlFor = filterId;
    filterLabel.textContent = labels.filter;
    const filterInput = document.createElement('input');
    filterInput.type = 'search';
    filterInput.name = 'q';
    filterInput.id = filterId;
    filterInput.autocomplete = 'off';
    filterInput.spellcheck = false;
    filterForm.append(filterLabel, filterInput);
    section.insertBefore(filterForm, anchor.parentElement === section ? anchor : section.firstChild);

    let debounce = 0;
    function applyFilter() {
      window.clearTimeout(debounce);
      const q = filterInput.value.trim();
      if (q === state.q) return;
      state.q = q;
      state.offset = 0;
      load();
    }
    filterInput.addEventListener('input', (event) => {
      if (event.isComposing) return; // Japanese IME: wait for compositionend
      window.clearTimeout(debounce);
      debounce = window.setTimeout(applyFilter, DEBOUNCE_MS);
    });
    filterInput.addEventListener('compositionend', () => {
      window.clearTimeout(debounce);
      debounce = window.setTimeout(applyFilter, DEBOUNCE_MS);
    });
    filterForm.addEventListener('submit', (event) => {
      event.preventDefault();
      applyFilter();
    });

    // Sort buttons inside the column headers.
    headers.forEach((th) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'ds-sort';
      while (th.firstChild) button.appendChild(th.firstChild);
      const icon = document.createElement('span');
      icon.className = 'ds-sort-icon';
      icon.setAttribute('aria-hidden', 'true');
      button.appendChild(icon);
      th.appendChild(button);
      button.addEventListener('click', () => {
        const column = th.dataset.column;
        const current = state.sort && state.sort.column === column ? state.sort.dir : null;
        const next = current === null ? 'asc' : current === 'asc' ? 'desc' : null;
        state.sort = next ? { column, dir: next, label: button.textContent.trim() } : null;
        state.offset = 0;
        headers.forEach((other) => {
          if (other === th && next) other.setAttribute('aria-sort', next === 'asc' ? 'ascending' : 'descending');
          else other.removeAttribute('aria-sort');
        });
        load();
      });
    });

    // Pager buttons.
    function pagerButton(className, text) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button ds-page-button ' + className;
      button.textContent = text;
      return button;
    }
    const prev = pagerButton('ds-prev', labels.prev);
    const next = pagerButton('ds-next', labels.next);
    if (pager) pager.replaceChildren(prev, next);
    prev.addEventListener('click', () => {
      if (prev.getAttribute('aria-disabled') === 'true') return;
      state.offset = Math.max(0, state.offset - pageSize);
      load();
    });
    next.addEventListener('click', () => {
      if (next.getAttribute('aria-disabled') === 'true') return;
      state.offset += pageSize;
      load();
    });

    function hasNext() {
      if (state.total === null) return state.rows >= pageSize;
      return state.offset + state.rows < state.total;
    }

    function updatePager() {
      prev.setAttribute('aria-disabled', String(state.offset <= 0));
      next.setAttribute('aria-disabled', String(!hasNext()));
    }

    function setStatus(text, isError) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle('is-error', Boolean(isError));
    }

    function pageText() {
      const total = state.total === null ? state.offset + state.rows : state.total;
      if (!total) return labels.empty;
      let text = fill(labels.page, {
        from: formatNumber(state.rows ? state.offset + 1 : 0),
        to: formatNumber(state.offset + state.rows),
        total: formatNumber(total),
      });
      if (state.sort) {
        const direction = state.sort.dir === 'asc' ? labels.asc : labels.desc;
        text = fill(labels.sorted, { column: state.sort.label, direction }) + ' ' + text;
      }
      return text;
    }

    function render(records) {
      const fragment = document.createDocumentFragment();
      for (const record of records) {
        const tr = document.createElement('tr');
        for (const column of columns) {
          const td = document.createElement('td');
          td.textContent = cellText(record ? record[column] : '');
          tr.appendChild(td);
        }
        fragment.appendChild(tr);
      }
      if (!records.length) {
        const tr = document.createElement('tr');
        const td = document.createElement('td');
        td.colSpan = columns.length;
        td.className = 'ds-empty';
        td.textContent = labels.empty;
        tr.appendChild(td);
        fragment.appendChild(tr);
      }
      tbody.replaceChildren(fragment);
    }

    async function load(retry = true) {
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = controller;
      const params = new URLSearchParams({
        resource_id: resourceId,
        limit: String(pageSize),
        offset: String(state.offset),
      });
      if (state.sort) params.set('sort', '"' + state.sort.column.replace(/"/g, '""') + '" ' + state.sort.dir);
      if (state.q) params.set('q', state.q);
      section.setAttribute('aria-busy', 'true');
      section.classList.add('is-loading');
      window.clearTimeout(loadingTimer);
      // Announce "loading" only when it is slow, so a fast page change is read out once.
      loadingTimer = window.setTimeout(() => setStatus(labels.loading), 600);
      try {
        const response = await fetch(api + (api.includes('?') ? '&' : '?') + params.toString(), {
          headers: { Accept: 'application/json' },
          credentials: 'same-origin',
          signal: mine.signal,
        });
        let body = null;
        try {
          body = await response.json();
        } catch (_) {
          body = null;
        }
        if (!response.ok || !body || body.success === false || !body.result) {
          throw new Error(errorMessage(body, response.status));
        }
        const result = body.result;
        const records = Array.isArray(result.records) ? result.records : [];
        state.rows = records.length;
        if (typeof result.total === 'number') state.total = result.total;
        if (retry && !records.length && state.offset > 0 && state.total) {
          // The table shrank under us: go back to the last page that has rows.
          state.offset = Math.max(0, (Math.ceil(state.total / pageSize) - 1) * pageSize);
          load(false);
          return;
        }
        render(records);
        window.clearTimeout(loadingTimer);
        setStatus(pageText());
      } catch (error) {
        if (error && error.name === 'AbortError') return;
        window.clearTimeout(loadingTimer);
        setStatus(fill(labels.error, { message: error && error.message ? error.message : '' }), true);
      } finally {
        if (controller === mine) {
          section.removeAttribute('aria-busy');
          section.classList.remove('is-loading');
          updatePager();
        }
      }
    }

    updatePager();
  }

  function init() {
    document.querySelectorAll('.ds-preview').forEach((section) => {
      if (section.dataset.previewReady) return;
      section.dataset.previewReady = 'true';
      setup(section);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
