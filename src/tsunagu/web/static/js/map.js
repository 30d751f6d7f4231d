/*
 * map.js — Leaflet map of a datastore table's points, or of a list of places.
 * Classic script, after Leaflet and Leaflet.markercluster:
 *   <link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
 *   <link rel="stylesheet" href="/static/vendor/leaflet.markercluster/MarkerCluster.css">
 *   <link rel="stylesheet" href="/static/vendor/leaflet.markercluster/MarkerCluster.Default.css">
 *   <script src="/static/vendor/leaflet/leaflet.js" defer></script>
 *   <script src="/static/vendor/leaflet.markercluster/leaflet.markercluster.js" defer></script>
 *   <script src="/static/js/map.js" defer></script>
 * (If window.L or L.markerClusterGroup is missing, map.js loads them itself from ../vendor/
 * relative to its own URL; without markercluster the points are shown unclustered.)
 *
 * MARKUP CONTRACT:
 *   <div class="ds-map" role="region" tabindex="0" aria-label="地図（上の表と同じデータです）"
 *        data-geojson="/datastore/dump/ID?format=geojson&amp;limit=5000"   a FeatureCollection URL
 *     or data-points='[{"lat":34.18,"lon":131.47,"label":"山口市","url":"/organization/yamaguchi-city"}]'
 *                                                 (label and url optional; url must be http(s) or a path)
 *        data-tiles="https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"   empty → no tiles
 *        data-offline="false"                     "true" → no tile layer (plain background)
 *        data-attribution="<a href='https://maps.gsi.go.jp/development/ichiran.html'>地理院タイル</a>"
 *                                                 (only text and http(s) links are kept)
 *        data-label-name-column="名称"            property shown as the popup title and marker name
 *        data-label-marker="地点 {n}"              optional: name of a point without one
 *        data-label-cluster="{count} 件"           optional: spoken name of a cluster button
 *        data-label-zoom-in="拡大" data-label-zoom-out="縮小" data-label-close="閉じる"   optional
 *        data-label-empty="地図に表示できる位置情報がありません"     optional
 *        data-label-error="地図のデータを読み込めませんでした"       optional
 *   ></div>
 * Popups are built with DOM methods and textContent only: the name column first (as
 * <p class="ds-popup-title">), then up to 8 other non-empty properties as a <dl>; property names
 * starting with "_" are skipped. The map fits the bounds of the points. Keyboard: the map itself
 * is focusable (arrows pan, +/− zoom); markers and clusters are buttons (Enter opens/zooms); an
 * opened popup (tabindex="0", scrolls when taller than the map) takes focus and Esc
 * returns it to the marker. On an empty or failed load a
 * <p class="ds-map-status" role="status"> is inserted after the map. Scroll-wheel zoom is only on
 * while the map has focus, so the page scrolls normally past it.
 */
(function () {
  'use strict';

  const SCRIPT_URL = document.currentScript ? document.currentScript.src : '';
  const MAX_PROPERTIES = 8;
  const JAPAN = [36.2, 138.25];

  // Shared helpers from site.js (loaded first on every page).
  const { fill, formatNumber, safeHref, safeAttribution } = window.Tsunagu;

  function text(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  function vendorUrl(path) {
    return new URL('../vendor/' + path, SCRIPT_URL || document.baseURI).href;
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error('failed to load ' + src));
      document.head.appendChild(script);
    });
  }

  function loadStyle(href, marker) {
    const present = Array.from(document.querySelectorAll('link[rel="stylesheet"]'))
      .some((link) => link.href.includes(marker));
    if (present) return;
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    document.head.appendChild(link);
  }

  let librariesPromise = null;
  function ensureLeaflet() {
    if (!librariesPromise) {
      librariesPromise = (async () => {
        if (!window.L) {
          loadStyle(vendorUrl('leaflet/leaflet.css'), 'leaflet.css');
          await loadScript(vendorUrl('leaflet/leaflet.js'));
        }
        if (!window.L.markerClusterGroup) {
          loadStyle(vendorUrl('leaflet.markercluster/MarkerCluster.css'), 'MarkerCluster.css');
          loadStyle(vendorUrl('leaflet.markercluster/MarkerCluster.Default.css'), 'MarkerCluster.Default.css');
          try {
            await loadScript(vendorUrl('leaflet.markercluster/leaflet.markercluster.js'));
          } catch (_) {
            /* unclustered markers still work */
          }
        }
        // Marker images come from the vendored copy, never from a CDN.
        const leafletScript = document.querySelector('script[src*="leaflet.js"]:not([src*="markercluster"])');
        window.L.Icon.Default.imagePath = leafletScript
          ? new URL('images/', leafletScript.src).href
          : vendorUrl('leaflet/images/');
        return window.L;
      })();
    }
    return librariesPromise;
  }

  function popupFromProperties(properties, nameColumn) {
    const root = document.createElement('div');
    root.className = 'ds-popup';
    const name = nameColumn && properties ? text(properties[nameColumn]) : '';
    if (name) {
      const title = document.createElement('p');
      title.className = 'ds-popup-title';
      title.textContent = name;
      root.appendChild(title);
    }
    const list = document.createElement('dl');
    let shown = 0;
    for (const [key, value] of Object.entries(properties || {})) {
      if (shown >= MAX_PROPERTIES) break;
      if (key === nameColumn || key.startsWith('_')) continue;
      const valueText = text(value);
      if (valueText === '') continue;
      const dt = document.createElement('dt');
      dt.textContent = key;
      const dd = document.createElement('dd');
      dd.textContent = valueText;
      list.append(dt, dd);
      shown += 1;
    }
    if (shown) root.appendChild(list);
    return { element: root, name };
  }

  function popupFromPoint(point) {
    const root = document.createElement('div');
    root.className = 'ds-popup';
    const label = text(point.label);
    const href = safeHref(point.url || point.href);
    if (label) {
      const title = document.createElement('p');
      title.className = 'ds-popup-title';
      if (href) {
        const a = document.createElement('a');
        a.href = href;
        a.textContent = label;
        title.appendChild(a);
      } else {
        title.textContent = label;
      }
      root.appendChild(title);
    }
    return { element: root, name: label };
  }

  function coordinate(value) {
    const n = typeof value === 'number' ? value : Number.parseFloat(value);
    return Number.isFinite(n) ? n : null;
  }

  function setup(el, L) {
    const d = el.dataset;
    const labels = {
      nameColumn: d.labelNameColumn || '',
      marker: d.labelMarker || '地点 {n}',
      cluster: d.labelCluster || '{count} 件',
      zoomIn: d.labelZoomIn || '拡大',
      zoomOut: d.labelZoomOut || '縮小',
      close: d.labelClose || '閉じる',
      empty: d.labelEmpty || '地図に表示できる位置情報がありません',
      error: d.labelError || '地図のデータを読み込めませんでした',
    };
    const reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    if (!el.hasAttribute('tabindex')) el.tabIndex = 0;

    const map = L.map(el, {
      zoomControl: false,
      scrollWheelZoom: false,
      minZoom: 2,
      maxZoom: 18, // markercluster needs it even when there is no tile layer
      zoomAnimation: !reduceMotion,
      fadeAnimation: !reduceMotion,
      markerZoomAnimation: !reduceMotion,
      attributionControl: true,
    });
    L.control.zoom({ zoomInTitle: labels.zoomIn, zoomOutTitle: labels.zoomOut }).addTo(map);
    // Wheel zoom only while the map has focus: the page keeps scrolling past it otherwise.
    map.on('focus', () => map.scrollWheelZoom.enable());
    map.on('blur', () => map.scrollWheelZoom.disable());

    const tiles = (d.tiles || '').trim();
    if (tiles && d.offline !== 'true') {
      L.tileLayer(tiles, { attribution: safeAttribution(d.attribution || ''), maxZoom: 18 }).addTo(map);
    } else {
      el.classList.add('ds-map--offline');
    }

    const group = typeof L.markerClusterGroup === 'function'
      ? L.markerClusterGroup({
        animate: !reduceMotion,
        showCoverageOnHover: false,
        iconCreateFunction(cluster) {
          const count = cluster.getChildCount();
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
      })
      : L.featureGroup();
    group.addTo(map);
    const shapes = L.featureGroup().addTo(map); // lines and polygons, if a GeoJSON has any

    // A popup taller than the map scrolls inside itself instead of panning the map away.
    function popupOptions() {
      return { minWidth: 200, maxWidth: 320, maxHeight: Math.max(160, el.clientHeight - 100), autoPanPadding: [16, 16] };
    }

    function addMarker(lat, lon, popup, index) {
      const name = popup.name || fill(labels.marker, { n: formatNumber(index + 1) });
      const marker = L.marker([lat, lon], { alt: name, title: name, keyboard: true });
      marker.bindPopup(popup.element, popupOptions());
      group.addLayer(marker);
    }

    // Keyboard users get focus moved into an opened popup and back to its marker on close.
    let keyboard = false;
    let opener = null;
    let openPopup = null;
    el.addEventListener('keydown', (event) => {
      keyboard = true;
      // Leaflet only handles Esc while the map container itself has focus; a focused marker or
      // popup should close it too.
      if (event.key === 'Escape' && openPopup) {
        event.preventDefault();
        map.closePopup(openPopup);
      }
    }, true);
    el.addEventListener('pointerdown', () => { keyboard = false; }, true);
    map.on('popupopen', (event) => {
      openPopup = event.popup;
      const node = event.popup.getElement();
      if (!node) return;
      const close = node.querySelector('.leaflet-popup-close-button');
      if (close) {
        close.setAttribute('aria-label', labels.close);
        close.title = labels.close;
      }
      // Focusable, so a popup that scrolls (maxHeight) can be scrolled with the keyboard.
      const content = node.querySelector('.ds-popup') || node;
      content.tabIndex = 0;
      if (keyboard) {
        opener = document.activeElement;
        content.focus({ preventScroll: true });
      }
    });
    map.on('popupclose', (event) => {
      if (openPopup === event.popup) openPopup = null;
      const node = event.popup.getElement();
      const focusWasInside = node && (node.contains(document.activeElement) || document.activeElement === document.body);
      if (opener && focusWasInside && document.contains(opener)) opener.focus({ preventScroll: true });
      opener = null;
    });

    function showMessage(message) {
      let note = el.nextElementSibling;
      if (!note || !note.classList.contains('ds-map-status')) {
        note = document.createElement('p');
        note.className = 'ds-map-status';
        note.setAttribute('role', 'status');
        el.insertAdjacentElement('afterend', note);
      }
      note.textContent = message;
    }

    function finish() {
      el.classList.remove('is-loading');
      const bounds = L.latLngBounds([]);
      if (group.getLayers().length) bounds.extend(group.getBounds());
      if (shapes.getLayers().length) bounds.extend(shapes.getBounds());
      if (!bounds.isValid()) {
        map.setView(JAPAN, 5);
        showMessage(labels.empty);
        return;
      }
      if (bounds.getNorthEast().equals(bounds.getSouthWest())) map.setView(bounds.getCenter(), 15);
      else map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    }

    el.classList.add('is-loading');
    if (d.points) {
      let points = [];
      try {
        points = JSON.parse(d.points);
      } catch (_) {
        points = [];
      }
      (Array.isArray(points) ? points : []).forEach((point, index) => {
        const lat = coordinate(point && point.lat);
        const lon = coordinate(point && (point.lon !== undefined ? point.lon : point.lng));
        if (lat === null || lon === null) return;
        addMarker(lat, lon, popupFromPoint(point), index);
      });
      finish();
      return;
    }
    if (!d.geojson) {
      finish();
      return;
    }
    fetch(d.geojson, { headers: { Accept: 'application/geo+json, application/json' }, credentials: 'same-origin' })
      .then((response) => {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then((data) => {
        const features = data && Array.isArray(data.features) ? data.features : [];
        features.forEach((feature, index) => {
          const geometry = feature && feature.geometry;
          if (!geometry) return;
          const popup = popupFromProperties(feature.properties, labels.nameColumn);
          if (geometry.type === 'Point' && Array.isArray(geometry.coordinates)) {
            const lon = coordinate(geometry.coordinates[0]);
            const lat = coordinate(geometry.coordinates[1]);
            if (lat === null || lon === null) return;
            addMarker(lat, lon, popup, index);
          } else {
            try {
              L.geoJSON(feature, {
                pointToLayer: (_, latlng) => L.marker(latlng, { alt: popup.name || fill(labels.marker, { n: index + 1 }) }),
              }).bindPopup(popup.element, popupOptions()).addTo(shapes);
            } catch (_) {
              /* skip malformed geometry */
            }
          }
        });
        finish();
      })
      .catch((error) => {
        if (window.console) console.error('map.js:', error);
        el.classList.remove('is-loading');
        map.setView(JAPAN, 5);
        showMessage(labels.error);
      });
  }

  function init() {
    const maps = Array.from(document.querySelectorAll('.ds-map')).filter((el) => !el.dataset.mapReady);
    if (!maps.length) return;
    maps.forEach((el) => { el.dataset.mapReady = 'true'; });
    ensureLeaflet().then((L) => {
      maps.forEach((el) => {
        try {
          setup(el, L);
        } catch (error) {
          el.classList.remove('is-loading');
          if (window.console) console.error('map.js:', error);
        }
      });
    }, (error) => {
      if (window.console) console.error('map.js: Leaflet is unavailable', error);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
