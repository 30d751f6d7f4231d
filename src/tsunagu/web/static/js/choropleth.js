/*
 * choropleth.js — 地図（市区町村別）: colours municipalities by class on a Leaflet map.
 * Classic script after Leaflet (and site.js):
 *   <script src="/static/vendor/leaflet/leaflet.js" defer></script>
 *   <script src="/static/js/choropleth.js" defer></script>
 *
 * MARKUP CONTRACT (templates/_choropleth.html renders it from a choropleth_show result):
 *   <div class="choropleth-map" role="region" tabindex="0" aria-label="…"
 *        data-areas='[{"code":"352012","name":"下関市","value":2970,"class":3,"color":"#41b6c4"}]'
 *        data-prefectures='["35"]'
 *        data-boundary-url="/maps/boundaries/{prefecture}.geojson"
 *        data-no-data-color="#d9d9d9"
 *        data-tiles="https://…/{z}/{x}/{y}.png" data-offline="false"     empty/true → no tiles
 *        data-attribution="<a href='…'>地理院タイル</a>"  (only text and http(s) links kept)
 *        data-boundary-attribution="境界：気象庁（加工して作成）"
 *        data-label-value="値" data-label-class="階級 {n}" data-label-no-data="データなし"
 *        data-label-show="地図で表示" data-label-error="…"></div>
 *   and, in the same <section class="choropleth">, a table whose rows carry data-code="352012".
 *
 * Each prefecture's boundaries are fetched once (they are the vendored, generalised files).
 * Municipalities with a value are filled with their class colour; the others of the same
 * prefectures are light grey ("データなし"). A municipality split into parts in the source
 * draws its outline (properties.outline) instead of the parts' edges. A ward is drawn only when
 * the table has a value for it, and then its city is not. Tooltips are built with textContent.
 * Keyboard: the map is focusable (arrows pan, +/− zoom); each table row gets a "地図で表示"
 * button that zooms to the municipality, outlines it and shows its tooltip. When everything is
 * drawn the map gets data-drawn="N" (the number of filled municipalities), or a status line
 * with data-label-error if a file could not be read.
 */
(function () {
  'use strict';

  const { fill, formatNumber, safeAttribution } = window.Tsunagu;
  const STROKE = '#3d4a57';
  const NO_DATA_STROKE = '#8a949e';
  const HIGHLIGHT = '#111111';

  function parse(json, fallback) {
    try {
      return JSON.parse(json);
    } catch (_) {
      return fallback;
    }
  }

  function tooltip(area, labels) {
    const root = document.createElement('div');
    const title = document.createElement('strong');
    title.textContent = area.name;
    root.appendChild(title);
    const line = document.createElement('div');
    if (area.value === null || area.value === undefined) {
      line.textContent = labels.noData;
    } else {
      line.textContent = labels.value + ': ' + formatNumber(area.value)
        + (area.class ? '（' + fill(labels.klass, { n: area.class }) + '）' : '');
    }
    root.appendChild(line);
    return root;
  }

  function status(el, message) {
    const p = document.createElement('p');
    p.className = 'choropleth-status';
    p.setAttribute('role', 'status');
    p.textContent = message;
    el.insertAdjacentElement('afterend', p);
  }

  async function setup(el, L) {
    const d = el.dataset;
    const labels = {
      value: d.labelValue || '値',
      klass: d.labelClass || '階級 {n}',
      noData: d.labelNoData || 'データなし',
      show: d.labelShow || '地図で表示',
      error: d.labelError || '境界のデータを読み込めませんでした',
    };
    const areas = parse(d.areas || '[]', []);
    const byCode = new Map(areas.map((a) => [String(a.code).slice(0, 5), a]));
    const prefectures = parse(d.prefectures || '[]', []);
    const reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

    const map = L.map(el, {
      scrollWheelZoom: false,
      zoomSnap: 0.25,
      zoomAnimation: !reduceMotion,
      fadeAnimation: !reduceMotion,
      attributionControl: true,
    });
    map.on('focus', () => map.scrollWheelZoom.enable());
    map.on('blur', () => map.scrollWheelZoom.disable());
    const tiles = (d.tiles || '').trim();
    if (tiles && d.offline !== 'true') {
      L.tileLayer(tiles, { attribution: safeAttribution(d.attribution || ''), maxZoom: 18 }).addTo(map);
    } else {
      el.classList.add('choropleth-map--offline');
    }
    map.attributionControl.addAttribution(safeAttribution(d.boundaryAttribution || ''));
    map.setView([36.2, 138.25], 5);

    // A ward with a value replaces its city; a ward without one is not drawn over its city.
    const citiesShownByWards = new Set();
    const files = await Promise.all(prefectures.map(async (prefecture) => {
      const url = (d.boundaryUrl || '').replace('{prefecture}', encodeURIComponent(prefecture));
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(url + ': ' + response.status);
      return response.json();
    })).catch(() => null);
    if (!files) {
      status(el, labels.error);
      return;
    }
    for (const file of files) {
      for (const feature of file.features) {
        const p = feature.properties || {};
        if (p.level === 'ward' && byCode.has(feature.id) && p.parent) {
          citiesShownByWards.add(String(p.parent).slice(0, 5));
        }
      }
    }

    // Grey neighbours first, so the coloured municipalities' edges are drawn over theirs.
    const background = L.featureGroup().addTo(map);
    const filled = L.featureGroup().addTo(map);
    const layers = new Map();
    for (const file of files) {
      for (const feature of file.features) {
        const code = String(feature.id);
        const p = feature.properties || {};
        const area = byCode.get(code);
        if (!area && p.level === 'ward') continue;
        if (citiesShownByWards.has(code)) continue;
        const split = Array.isArray(p.outline);
        const color = area ? area.color : d.noDataColor || '#d9d9d9';
        const layer = L.geoJSON(feature, {
          style: {
            fillColor: color,
            fillOpacity: area ? 0.85 : 0.6,
            color: area ? STROKE : NO_DATA_STROKE,
            weight: split ? 0 : 1,
            stroke: !split,
          },
        });
        const shown = area || { name: p.name, value: null, class: null };
        layer.bindTooltip(tooltip(shown, labels), { sticky: true });
        if (split) {
          const outline = L.polyline(p.outline.map((line) => line.map(([lon, lat]) => [lat, lon])), {
            color: area ? STROKE : NO_DATA_STROKE,
            weight: 1,
            interactive: false,
          });
          layer.addLayer(outline);
        }
        (area ? filled : background).addLayer(layer);
        if (area) layers.set(code, layer);
      }
    }
    const bounds = filled.getLayers().length ? filled.getBounds() : background.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    el.dataset.drawn = String(layers.size);

    let highlighted = null;
    function show(code) {
      const layer = layers.get(code);
      if (!layer) return;
      if (highlighted) highlighted.setStyle({ color: STROKE, weight: 1 });
      layer.setStyle({ color: HIGHLIGHT, weight: 3 });
      layer.bringToFront();
      highlighted = layer;
      map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 11, animate: !reduceMotion });
      el.scrollIntoView({ block: 'nearest', behavior: reduceMotion ? 'auto' : 'smooth' });
      layer.openTooltip(layer.getBounds().getCenter());
      el.focus({ preventScroll: true });
    }

    const section = el.closest('.choropleth');
    if (!section) return;
    section.querySelectorAll('tr[data-code]').forEach((row) => {
      const code = String(row.dataset.code).slice(0, 5);
      if (!layers.has(code)) return;
      const cell = row.querySelector('th');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'choropleth-show';
      button.textContent = labels.show;
      button.setAttribute('aria-label', labels.show + ': ' + (cell ? cell.textContent.trim() : code));
      button.addEventListener('click', () => show(code));
      if (cell) cell.appendChild(button);
    });
  }

  function start() {
    const maps = document.querySelectorAll('.choropleth-map');
    if (!maps.length || !window.L) return;
    maps.forEach((el) => {
      setup(el, window.L).catch(() => status(el, el.dataset.labelError || '境界のデータを読み込めませんでした'));
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
