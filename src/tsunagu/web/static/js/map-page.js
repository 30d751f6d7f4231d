/*
 * map-page.js — the 統合マップ (/map): one layer's points, clustered, with filters that apply to
 * the map and to the list below it at once, and "近くの…" from the browser's location or a
 * typed place. Classic deferred script, after Leaflet and Leaflet.markercluster (vendored).
 *
 * MARKUP CONTRACT (templates/map.html):
 *   <form id="map-filters">   select[name=layer], select[name=municipality], input[name=q],
 *                             inputs/selects with data-field="<attribute>" (a checkbox sets "1")
 *   <div id="m-map" data-geojson="/map/layers/<name>.geojson" data-layer="<name>"
 *        data-api="/api/3/action/map_point_search" data-tiles="…" data-offline="true|false"
 *        data-attribution="…" data-labels='{"count": "{n} 件", …}'>
 *   #m-status (role=status), #m-count, #m-list (table) with #m-list-body, #m-more,
 *   #m-locate-wrap / #m-locate (shown only when the browser can locate), #m-near-form,
 *   #m-near-results (aria-live)
 * The GeoJSON is the layer as built (maps/builder.py): features with properties, plus
 * "fields" (name, title), "sources" (dataset, dataset_title, organization_title, url) and
 * "municipalities" (code → name); a feature's "_s" is its source and "_m" its municipality.
 * Filtering here follows map_point_search (maps/search.py): municipality code, each chosen
 * attribute equal, every word in the name or address (NFKC, no spaces, lower case). The nearest
 * places come from that action itself, so the page and the API answer alike.
 * After each filter the map element gets data-shown (points that pass) and, once the cluster
 * holds them, data-markers (markers on the map): the list shows the same points.
 * Popups and rows are built with DOM methods and textContent only.
 */
(function () {
  'use strict';

  const PAGE = 100;
  const JAPAN = [36.2, 138.25];
  const { fill, formatNumber, safeHref, safeAttribution } = window.Tsunagu;

  function normalize(text) {
    return String(text || '').normalize('NFKC').replace(/\s+/g, '').toLowerCase();
  }

  function firstOf(properties, keys) {
    for (const key of keys) {
      const value = properties[key];
      if (value !== undefined && value !== null && value !== '') return String(value);
    }
    return '';
  }
  const NAME_KEYS = ['名称', '名前', '施設名', 'name'];
  const ADDRESS_KEYS = ['所在地_連結表記', '住所', '所在地', 'address'];

  function setup(el, L) {
    const d = el.dataset;
    const labels = JSON.parse(d.labels || '{}');
    const form = document.getElementById('map-filters');
    const status = document.getElementById('m-status');
    const countNote = document.getElementById('m-count');
    const table = document.getElementById('m-list');
    const body = document.getElementById('m-list-body');
    const more = document.getElementById('m-more');
    const nearResults = document.getElementById('m-near-results');
    const reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

    const map = L.map(el, {
      zoomControl: false,
      scrollWheelZoom: false,
      minZoom: 2,
      maxZoom: 18,
      zoomAnimation: !reduceMotion,
      fadeAnimation: !reduceMotion,
      markerZoomAnimation: !reduceMotion,
    });
    L.control.zoom({ zoomInTitle: labels.zoomIn, zoomOutTitle: labels.zoomOut }).addTo(map);
    map.on('focus', () => map.scrollWheelZoom.enable());
    map.on('blur', () => map.scrollWheelZoom.disable());
    const tiles = (d.tiles || '').trim();
    if (tiles && d.offline !== 'true') {
      L.tileLayer(tiles, { attribution: safeAttribution(d.attribution || ''), maxZoom: 18 }).addTo(map);
    } else {
      el.classList.add('ds-map--offline');
    }
    map.setView(JAPAN, 5);

    const cluster = L.markerClusterGroup({
      chunkedLoading: true,
      animate: !reduceMotion,
      showCoverageOnHover: false,
      iconCreateFunction(group) {
        const count = group.getChildCount();
        const size = count < 10 ? 'small' : count < 100 ? 'medium' : 'large';
        const inner = document.createElement('div');
        const visible = document.createElement('span');
        visible.setAttribute('aria-hidden', 'true');
        visible.textContent = formatNumber(count);
        const spoken = document.createElement('span');
        spoken.className = 'visually-hidden';
        spoken.textContent = fill(labels.cluster, { count: formatNumber(count) });
        inner.append(visible, spoken);
        return L.divIcon({ html: inner, className: 'marker-cluster marker-cluster-' + size, iconSize: L.point(40, 40) });
      },
      chunkProgress(processed, total) {
        if (processed >= total) el.dataset.markers = String(cluster.getLayers().length);
      },
    });
    cluster.addTo(map);
    let originLayer = null;

    let doc = null;
    let features = [];
    let texts = [];
    const markers = [];
    let filtered = [];
    let order = [];
    let distance = null; // Map of feature index → metres, while an origin is set
    let shown = PAGE;
    let fitted = false;

    // -- popups and markers --------------------------------------------------------------
    const flags = new Set();
    function popupFor(index) {
      const feature = features[index];
      const p = feature.properties || {};
      const root = document.createElement('div');
      root.className = 'ds-popup';
      const title = document.createElement('p');
      title.className = 'ds-popup-title';
      title.textContent = firstOf(p, NAME_KEYS) || fill(labels.marker, { n: formatNumber(index + 1) });
      root.appendChild(title);
      const list = document.createElement('dl');
      (doc.fields || []).forEach((field) => {
        const value = p[field.name];
        if (value === undefined || value === null || value === '' || field.name === '名称') return;
        const dt = document.createElement('dt');
        dt.textContent = field.title || field.name;
        const dd = document.createElement('dd');
        dd.textContent = flags.has(field.name) && String(value) === '1' ? labels.yes : String(value);
        list.append(dt, dd);
      });
      if (list.childNodes.length) root.appendChild(list);
      const source = (doc.sources || [])[p._s];
      if (source) {
        const line = document.createElement('p');
        line.className = 'ds-popup-source';
        line.append(document.createTextNode(labels.dataset + ': '));
        const href = safeHref(source.url);
        const a = document.createElement(href ? 'a' : 'span');
        if (href) a.href = href;
        a.textContent = source.dataset_title;
        line.append(a, document.createTextNode('（' + source.organization_title + '）'));
        root.appendChild(line);
      }
      return root;
    }

    // Points come without ids: each source lists its rows as [first, count] runs, in the
    // order of its points (maps/feature_ids.py), and a point's id is "{resource}:{row}".
    function restoreIds(sources, points) {
      const cursors = sources.map(() => ({ run: 0, offset: 0 }));
      points.forEach((point) => {
        if (point.id !== undefined) return;
        const index = (point.properties || {})._s;
        const source = sources[index];
        const runs = source && Array.isArray(source.rows) ? source.rows : [];
        const at = cursors[index];
        if (!at) return;
        while (at.run < runs.length && at.offset >= runs[at.run][1]) {
          at.run += 1;
          at.offset = 0;
        }
        if (at.run >= runs.length) return;
        point.id = source.resource + ':' + (runs[at.run][0] + at.offset);
        at.offset += 1;
      });
    }

    function popupOptions() {
      return {
        minWidth: 220,
        maxWidth: 340,
        maxHeight: Math.max(160, el.clientHeight - 100),
        autoPanPadding: [16, 16],
      };
    }

    function markerFor(index) {
      let marker = markers[index];
      if (!marker) {
        const feature = features[index];
        const [lon, lat] = feature.geometry.coordinates;
        const name = firstOf(feature.properties || {}, NAME_KEYS) || fill(labels.marker, { n: formatNumber(index + 1) });
        marker = L.marker([lat, lon], { alt: name, title: name, keyboard: true });
        marker.bindPopup(() => popupFor(index), popupOptions());
        markers[index] = marker;
      }
      return marker;
    }

    // Keyboard users get focus moved into an opened popup and back on close (as map.js).
    let keyboard = false;
    let opener = null;
    let openPopup = null;
    document.addEventListener('keydown', (event) => {
      keyboard = true;
      if (event.key === 'Escape' && openPopup && el.contains(document.activeElement)) {
        event.preventDefault();
        map.closePopup(openPopup);
      }
    }, true);
    document.addEventListener('pointerdown', () => { keyboard = false; }, true);
    map.on('popupopen', (event) => {
      openPopup = event.popup;
      const node = event.popup.getElement();
      if (!node) return;
      const close = node.querySelector('.leaflet-popup-close-button');
      if (close) {
        close.setAttribute('aria-label', labels.close);
        close.title = labels.close;
      }
      const content = node.querySelector('.ds-popup') || node;
      content.tabIndex = 0;
      if (keyboard) {
        opener = opener || document.activeElement;
        content.focus({ preventScroll: true });
      }
    });
    map.on('popupclose', (event) => {
      if (openPopup === event.popup) openPopup = null;
      if (opener && document.contains(opener) && keyboard) opener.focus({ preventScroll: true });
      opener = null;
    });

    function showOnMap(index, from) {
      const marker = markerFor(index);
      opener = from || null;
      el.scrollIntoView({ block: 'nearest', behavior: reduceMotion ? 'auto' : 'smooth' });
      let opened = false;
      const open = () => {
        if (opened) return;
        opened = true;
        if (map.hasLayer(marker)) {
          marker.openPopup();
        } else {
          L.popup(popupOptions()).setLatLng(marker.getLatLng()).setContent(popupFor(index)).openOn(map);
        }
      };
      cluster.zoomToShowLayer(marker, open);
      // zoomToShowLayer never calls back when the view does not move (points sharing one place,
      // or already at the cluster's zoom): open the popup where the point is all the same.
      window.setTimeout(open, 1200);
    }

    // -- filters -------------------------------------------------------------------------
    function chosen() {
      const out = {};
      form.querySelectorAll('[data-field]').forEach((input) => {
        if (input.type === 'checkbox') {
          if (input.checked) out[input.dataset.field] = input.value || '1';
        } else if (input.value) {
          out[input.dataset.field] = input.value;
        }
      });
      return out;
    }

    function passes(index, municipality, pairs, words) {
      const p = features[index].properties || {};
      if (municipality && String(p._m || '') !== municipality) return false;
      for (const [field, value] of pairs) {
        if (String(p[field] === undefined ? '' : p[field]) !== value) return false;
      }
      const text = texts[index];
      return words.every((w) => text.name.includes(w) || text.address.includes(w));
    }

    function distanceText(index) {
      if (!distance || !distance.has(index)) return '';
      return fill(labels.km, { km: (distance.get(index) / 1000).toFixed(1) });
    }

    function renderList() {
      body.textContent = '';
      const rows = document.createDocumentFragment();
      order.slice(0, shown).forEach((index) => {
        const p = features[index].properties || {};
        const tr = document.createElement('tr');
        const th = document.createElement('th');
        th.scope = 'row';
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'link-button';
        button.textContent = firstOf(p, NAME_KEYS) || fill(labels.marker, { n: formatNumber(index + 1) });
        const hint = document.createElement('span');
        hint.className = 'visually-hidden';
        hint.textContent = '（' + labels.showOnMap + '）';
        button.appendChild(hint);
        button.addEventListener('click', () => showOnMap(index, button));
        th.appendChild(button);
        const address = document.createElement('td');
        address.textContent = firstOf(p, ADDRESS_KEYS);
        const municipality = document.createElement('td');
        municipality.textContent = (doc.municipalities || {})[p._m] || '';
        const far = document.createElement('td');
        far.className = 'map-distance-col';
        far.textContent = distanceText(index);
        const source = (doc.sources || [])[p._s] || {};
        const dataset = document.createElement('td');
        const href = safeHref(source.url || '');
        if (href) {
          const a = document.createElement('a');
          a.href = href;
          a.textContent = source.dataset_title || '';
          dataset.appendChild(a);
        }
        tr.dataset.id = features[index].id;
        tr.append(th, address, municipality, far, dataset);
        rows.appendChild(tr);
      });
      body.appendChild(rows);
      table.classList.toggle('has-origin', Boolean(distance));
      const total = order.length;
      const visible = Math.min(shown, total);
      countNote.textContent = total > visible
        ? fill(labels.shownOf, { total: formatNumber(total), shown: formatNumber(visible) })
        : fill(labels.count, { n: formatNumber(total) });
      more.hidden = total <= visible;
    }

    function sortOrder() {
      order = filtered.slice();
      if (distance) order.sort((a, b) => distance.get(a) - distance.get(b) || a - b);
    }

    function apply() {
      if (!doc) return;
      const municipality = form.elements.municipality ? form.elements.municipality.value : '';
      const pairs = Object.entries(chosen());
      const words = normalize(form.elements.q ? form.elements.q.value : '').length
        ? String(form.elements.q.value).split(/\s+/).map(normalize).filter(Boolean)
        : [];
      filtered = [];
      for (let i = 0; i < features.length; i += 1) {
        if (passes(i, municipality, pairs, words)) filtered.push(i);
      }
      if (distance) {
        // Distances kept from the last search; points new to the selection get theirs here.
        filtered.forEach((i) => {
          if (!distance.has(i)) distance.set(i, metres(origin, features[i]));
        });
      }
      el.dataset.shown = String(filtered.length);
      delete el.dataset.markers;
      cluster.clearLayers();
      cluster.addLayers(filtered.map(markerFor));
      if (!filtered.length) el.dataset.markers = '0';
      shown = PAGE;
      sortOrder();
      renderList();
      status.textContent = filtered.length ? '' : labels.empty;
      if (filtered.length && (!fitted || municipality !== lastMunicipality)) {
        map.fitBounds(cluster.getBounds(), { padding: [24, 24], maxZoom: 15 });
        fitted = true;
      }
      lastMunicipality = municipality;
      writeUrl();
    }
    let lastMunicipality = '';

    function writeUrl() {
      if (!window.history || !window.history.replaceState) return;
      const params = new URLSearchParams(new FormData(form));
      for (const [key, value] of Array.from(params.entries())) {
        if (!value) params.delete(key);
      }
      window.history.replaceState(null, '', '/map?' + params.toString());
    }

    // -- nearest ----------------------------------------------------------------------------
    let origin = null;
    function metres(from, feature) {
      const [lon, lat] = feature.geometry.coordinates;
      const rad = Math.PI / 180;
      const dphi = (lat - from.lat) * rad;
      const dlambda = (lon - from.lon) * rad;
      const a = Math.sin(dphi / 2) ** 2 + Math.cos(from.lat * rad) * Math.cos(lat * rad) * Math.sin(dlambda / 2) ** 2;
      return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
    }

    function say(message, isError) {
      nearResults.textContent = '';
      const p = document.createElement('p');
      p.textContent = message;
      if (isError) p.className = 'message message-error';
      nearResults.appendChild(p);
    }

    const byId = new Map();
    function near(params, heading) {
      const query = new URLSearchParams({ layer: d.layer, limit: '10' });
      const filters = chosen();
      if (Object.keys(filters).length) query.set('filters', JSON.stringify(filters));
      if (form.elements.municipality && form.elements.municipality.value) query.set('municipality', form.elements.municipality.value);
      if (form.elements.q && form.elements.q.value.trim()) query.set('q', form.elements.q.value.trim());
      Object.entries(params).forEach(([key, value]) => query.set(key, String(value)));
      return fetch(d.api + '?' + query.toString(), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then((response) => response.json())
        .then((answer) => {
          if (!answer || !answer.success) throw new Error('map_point_search failed');
          const result = answer.result;
          if (!result.origin || result.origin.lat === undefined) {
            say(fill(labels.notFound, { place: params.near || '' }), true);
            return;
          }
          origin = { lat: result.origin.lat, lon: result.origin.lon };
          distance = new Map();
          filtered.forEach((i) => distance.set(i, metres(origin, features[i])));
          nearResults.textContent = '';
          const title = document.createElement('p');
          title.textContent = heading(result.origin);
          const list = document.createElement('ol');
          list.className = 'map-near-list';
          result.results.forEach((item) => {
            const li = document.createElement('li');
            const index = byId.get(item.id);
            const button = document.createElement('button');
            button.type = 'button';
            button.className = 'link-button';
            button.textContent = item.name;
            if (index !== undefined) button.addEventListener('click', () => showOnMap(index, button));
            const far = document.createElement('span');
            far.className = 'map-near-distance';
            far.textContent = ' ' + fill(labels.km, { km: (item.distance_m / 1000).toFixed(1) });
            const address = document.createElement('span');
            address.className = 'muted';
            address.textContent = firstOf(item.properties || {}, ADDRESS_KEYS);
            li.append(button, far, document.createElement('br'), address);
            list.appendChild(li);
          });
          nearResults.append(title, list);
          if (originLayer) map.removeLayer(originLayer);
          originLayer = L.circleMarker([origin.lat, origin.lon], { radius: 9, color: '#b3261e', weight: 3, fillOpacity: 0.4 })
            .bindTooltip(labels.origin)
            .addTo(map);
          const bounds = L.latLngBounds([[origin.lat, origin.lon]]);
          result.results.slice(0, 3).forEach((item) => bounds.extend([item.lat, item.lon]));
          map.fitBounds(bounds, { padding: [32, 32], maxZoom: 16 });
          sortOrder();
          shown = PAGE;
          renderList();
        })
        .catch((error) => {
          if (window.console) console.error('map-page.js:', error);
          say(labels.error, true);
        });
    }

    // -- wiring ------------------------------------------------------------------------------
    form.addEventListener('submit', (event) => {
      if (form.elements.layer && form.elements.layer.value !== d.layer) return; // another layer: reload
      event.preventDefault();
      apply();
    });
    if (form.elements.layer) {
      form.elements.layer.addEventListener('change', () => form.submit());
    }
    form.addEventListener('change', (event) => {
      if (event.target !== form.elements.layer) apply();
    });
    if (form.elements.q) {
      let timer = null;
      form.elements.q.addEventListener('input', () => {
        clearTimeout(timer);
        timer = setTimeout(apply, 250);
      });
    }
    more.addEventListener('click', () => {
      const first = shown;
      shown += PAGE;
      renderList();
      const next = body.rows[first];
      const button = next && next.querySelector('button');
      if (button) button.focus();
    });
    const nearForm = document.getElementById('m-near-form');
    nearForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = nearForm.elements.near.value.trim();
      if (!text) return;
      near({ near: text }, (found) => fill(labels.fromPlace, { place: found.label || text }));
    });
    const locate = document.getElementById('m-locate');
    if (navigator.geolocation && locate) {
      document.getElementById('m-locate-wrap').hidden = false;
      locate.addEventListener('click', () => {
        say(labels.locating, false);
        navigator.geolocation.getCurrentPosition(
          (position) => near({ lat: position.coords.latitude, lon: position.coords.longitude }, () => labels.fromHere),
          () => say(labels.locateFailed, true),
          { timeout: 20000, maximumAge: 60000 },
        );
      });
    }

    el.classList.add('is-loading');
    status.textContent = labels.loading;
    fetch(d.geojson, { headers: { Accept: 'application/geo+json, application/json' }, credentials: 'same-origin' })
      .then((response) => {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then((data) => {
        doc = data || {};
        features = Array.isArray(doc.features) ? doc.features : [];
        restoreIds(doc.sources || [], features);
        (doc.filters || []).forEach((f) => { if (f.flag) flags.add(f.field); });
        texts = features.map((f) => ({
          name: normalize(firstOf(f.properties || {}, NAME_KEYS)),
          address: normalize(firstOf(f.properties || {}, ADDRESS_KEYS)),
        }));
        features.forEach((f, i) => byId.set(f.id, i));
        el.classList.remove('is-loading');
        status.textContent = '';
        apply();
        el.dataset.ready = 'true';
        const typed = nearForm.elements.near.value.trim();
        if (typed) nearForm.requestSubmit();
      })
      .catch((error) => {
        if (window.console) console.error('map-page.js:', error);
        el.classList.remove('is-loading');
        status.textContent = labels.error;
      });
  }

  function init() {
    const el = document.getElementById('m-map');
    if (!el || !window.L || !window.L.markerClusterGroup) return;
    // Marker images come from the vendored copy beside leaflet.js, never from a CDN.
    const leaflet = document.querySelector('script[src*="leaflet.js"]:not([src*="markercluster"])');
    if (leaflet) window.L.Icon.Default.imagePath = new URL('images/', leaflet.src).href;
    setup(el, window.L);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
