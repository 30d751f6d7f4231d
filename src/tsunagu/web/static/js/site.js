/*
 * site.js — small shared enhancements, loaded on every page.
 * Classic script: <script src="/static/js/site.js" defer></script>. Needs no library.
 * The language switch is a plain link rendered by the server: no JS is involved.
 *
 * MARKUP CONTRACTS:
 *
 * 1. Copy buttons for code blocks:
 *      <pre class="copyable" data-label-copy="コピー" data-label-copied="コピーしました"
 *           data-label-copy-failed="コピーできませんでした。テキストを選択しました。">…</pre>
 *    Each label is looked up on the <pre>, then on its nearest ancestor that has it (so <body> or
 *    <main> may carry them once), then falls back to the Japanese shown here. The script wraps
 *    the <pre> in <div class="copyable-block">, makes the <pre> focusable (tabindex="0", so a
 *    block that scrolls sideways can be scrolled from the keyboard) and puts <button type="button"
 *    class="copy-button">コピー</button> before it (the accessible name is "コピー" plus the
 *    first characters of the code, so several buttons on a page are told apart). It copies the
 *    pre's textContent with navigator.clipboard (or, where that is unavailable, selects the text
 *    and tries the legacy copy command) and announces the result in one shared
 *    <p class="visually-hidden" id="site-announcer" aria-live="polite">, created once per page;
 *    the button's text also reads "コピーしました" for 2 s.
 *
 * 2. Confirmation before destructive submits:
 *      <form … data-confirm="このデータセットを削除しますか？">
 *    submitting asks window.confirm(data-confirm) and cancels when declined. (Without JS the
 *    form posts directly, so the server must not rely on this for safety.)
 */
// Helpers the other scripts share: window.Tsunagu.fill("{n} 件", {n: 3}), .formatNumber(1234),
// .safeHref(url) (an http(s) URL or null), .safeAttribution(html) (text and http(s) links only).
window.Tsunagu = Object.freeze({
  fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, (match, key) =>
      Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match);
  },
  formatNumber(value) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || 'ja').format(value);
    } catch (_) {
      return String(value);
    }
  },
  safeHref(url) {
    if (typeof url !== 'string' || !url) return null;
    try {
      const resolved = new URL(url, document.baseURI);
      return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? resolved.href : null;
    } catch (_) {
      return null;
    }
  },
  // Map attributions are configuration, but a stray tag there should not become markup: keep
  // text and http(s) links only. DOMParser does not run scripts.
  safeAttribution(html) {
    if (!html) return '';
    const parsed = new DOMParser().parseFromString('<body>' + html, 'text/html');
    const out = document.createElement('span');
    (function copy(from, to) {
      from.childNodes.forEach((node) => {
        if (node.nodeType === Node.TEXT_NODE) {
          to.appendChild(document.createTextNode(node.textContent));
        } else if (node.nodeType === Node.ELEMENT_NODE) {
          const href = node.nodeName === 'A' ? node.getAttribute('href') || '' : '';
          if (/^https?:\/\//i.test(href)) {
            const a = document.createElement('a');
            a.href = href;
            a.textContent = node.textContent;
            to.appendChild(a);
          } else {
            copy(node, to);
          }
        }
      });
    })(parsed.body, out);
    return out.innerHTML;
  },
});

(function () {
  'use strict';

  const DEFAULTS = {
    labelCopy: 'コピー',
    labelCopied: 'コピーしました',
    labelCopyFailed: 'コピーできませんでした。テキストを選択しました。',
  };

  function label(el, key) {
    const holder = el.closest('[data-' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()) + ']');
    return (holder && holder.dataset[key]) || DEFAULTS[key];
  }

  let announcer = null;
  // The live region must be in the page before its text changes, so it is made at start-up.
  function ensureAnnouncer() {
    if (!announcer) {
      announcer = document.getElementById('site-announcer');
      if (!announcer) {
        announcer = document.createElement('p');
        announcer.id = 'site-announcer';
        announcer.className = 'visually-hidden';
        announcer.setAttribute('aria-live', 'polite');
        document.body.appendChild(announcer);
      }
    }
    return announcer;
  }

  function announce(message) {
    ensureAnnouncer();
    // Clear first so the same message twice in a row is announced again.
    announcer.textContent = '';
    window.setTimeout(() => { announcer.textContent = message; }, 50);
  }

  function selectText(el) {
    const selection = window.getSelection();
    if (!selection) return;
    const range = document.createRange();
    range.selectNodeContents(el);
    selection.removeAllRanges();
    selection.addRange(range);
  }

  async function copyText(pre) {
    const value = pre.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(value);
        return true;
      } catch (_) {
        /* fall through to the selection */
      }
    }
    selectText(pre);
    try {
      return document.execCommand('copy');
    } catch (_) {
      return false;
    }
  }

  function setupCopy(pre) {
    const copyLabel = label(pre, 'labelCopy');
    const wrapper = document.createElement('div');
    wrapper.className = 'copyable-block';
    pre.replaceWith(wrapper);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button button-small copy-button';
    const visible = document.createElement('span');
    visible.textContent = copyLabel;
    const context = document.createElement('span');
    context.className = 'visually-hidden';
    const snippet = pre.textContent.trim().split('\n')[0].slice(0, 40);
    context.textContent = snippet ? '：' + snippet : '';
    button.append(visible, context);
    // A long line scrolls sideways (on a phone, most do): keyboard users must reach it too.
    if (!pre.hasAttribute('tabindex')) pre.tabIndex = 0;
    wrapper.append(button, pre);
    let reset = 0;
    button.addEventListener('click', async () => {
      const ok = await copyText(pre);
      const message = ok ? label(pre, 'labelCopied') : label(pre, 'labelCopyFailed');
      if (!ok) selectText(pre);
      announce(message);
      if (ok) {
        visible.textContent = message;
        window.clearTimeout(reset);
        reset = window.setTimeout(() => { visible.textContent = copyLabel; }, 2000);
      }
    });
  }

  function setupConfirm(form) {
    form.addEventListener('submit', (event) => {
      const message = form.dataset.confirm;
      if (message && !window.confirm(message)) event.preventDefault();
    });
  }

  function init() {
    const blocks = document.querySelectorAll('pre.copyable');
    if (blocks.length) ensureAnnouncer();
    blocks.forEach((pre) => {
      if (pre.dataset.copyReady) return;
      pre.dataset.copyReady = 'true';
      setupCopy(pre);
    });
    document.querySelectorAll('form[data-confirm]').forEach((form) => {
      if (form.dataset.confirmReady) return;
      form.dataset.confirmReady = 'true';
      setupConfirm(form);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
