/* fichier — cookie banner (fr/en). Include in <head>, before any tag:
   <script src="https://fichier.example/banner.js" data-cookies-analytics="_ga _gid _ga_*"></script>
   Google Consent Mode v2 default (all denied) at once; asks through GET /v1/banner; keeps the
   choice in the first-party cookie fichier_consent; posts one receipt per purpose; releases
   <script type="text/plain" data-category="ID"> and <iframe data-category="ID" data-src>
   once ID is granted; deletes the cookies listed in data-cookies-ID on refusal/withdrawal.
   data-recipients-ID="host …" names the hosts ID's tags call: the banner does not read it,
   `fichier scan` checks that no other third party is called (and none before a grant).
   The choice's cookie lives 13 calendar months from the choice (CNIL 2020-091 art. 5).
   data-customer="REF" (minted by the shop's server): the customer's choice, across devices.
   API: window.fichierBanner.open(), .choice(), .granted(id), .purposes(), .ready(); events on
   document: "fichier:consent" (a decision), "fichier:ready" (once, after DOMContentLoaded, the
   configuration asked and the stored choice checked: detail = .choice(), null if none stands). */
(function (w, d) {
  'use strict';
  var dl = (w.dataLayer = w.dataLayer || []);
  if (typeof w.gtag != 'function') w.gtag = function () { w.dataLayer.push(arguments); };
  var D = 'denied';
  // Functionality (language, preferences) and security (authentication, fraud) storage are
  // exempt from consent (CNIL 2020-091); the rest waits for the choice.
  w.gtag('consent', 'default', { ad_storage: D, ad_user_data: D, ad_personalization: D, analytics_storage: D,
    personalization_storage: D, functionality_storage: 'granted', security_storage: 'granted', wait_for_update: 500 });

  var me = d.currentScript || d.querySelector('script[src*="banner.js"]');
  var BASE = new URL(me.src, location.href).origin;
  var LANG = /^fr/i.test(me.getAttribute('data-lang') || d.documentElement.lang || '') ? 'fr' : 'en';
  var CK = 'fichier_consent';
  var GPC = navigator.globalPrivacyControl === true;
  var CUS = me.getAttribute('data-customer'), acc = false; // acc: the reference was accepted
  var T = {
    fr: {
      h: 'Cookies et traceurs',
      p: 'Avec votre accord, nous utilisons des cookies pour les finalités ci-dessous. Refuser est aussi simple qu’accepter, et vous pouvez changer d’avis à tout moment avec le lien « Gérer mes cookies ».',
      n: 'Lire l’information complète',
      g: 'Le signal Global Privacy Control de votre navigateur est respecté : la publicité est refusée.',
      x: 'Vous êtes connecté : votre choix vaudra aussi sur vos autres appareils.',
      k: 'Votre choix de cookies, enregistré sur votre compte, s’applique sur cet appareil : ', y: 'acceptés : ', z: 'tout refusé.', m: 'Modifier',
      r: 'Tout refuser', a: 'Tout accepter', c: 'Personnaliser', s: 'Enregistrer mes choix', o: 'Cookies'
    },
    en: {
      h: 'Cookies and trackers',
      p: 'With your consent, we use cookies for the purposes below. Refusing is as easy as accepting, and you can change your mind at any time with the “Cookies” link.',
      n: 'Read the full notice',
      g: 'Your browser’s Global Privacy Control signal is honoured: advertising is refused.',
      x: 'You are logged in: your choice will also apply on your other devices.',
      k: 'Your cookie choice, saved in your account, applies on this device: ', y: 'accepted: ', z: 'all refused.', m: 'Change',
      r: 'Refuse all', a: 'Accept all', c: 'Customise', s: 'Save my choices', o: 'Cookies'
    }
  }[LANG];

  var cfg = null;     // the answer of /v1/banner
  var cur = null;     // the valid choice in force, or null
  var last = read();  // the stored choice, valid or not (visitor id, previous grants)
  var ui = null, back = null;

  function read() {
    var m = d.cookie.match(/(?:^|;\s*)fichier_consent=([^;]*)/);
    try {
      var c = m && JSON.parse(decodeURIComponent(m[1]));
      return c && /^v-[0-9a-f]{32}$/.test(c.v) && typeof c.t == 'number' && Array.isArray(c.g) && Array.isArray(c.r) ? c : null;
    } catch (e) { return null; }
  }
  function visitor() {
    if (last) return last.v;
    var b = new Uint8Array(16), s = 'v-';
    crypto.getRandomValues(b);
    b.forEach(function (x) { s += (x < 16 ? '0' : '') + x.toString(16); });
    return s;
  }
  function has(list, id) { return list.indexOf(id) >= 0; }
  // t + m calendar months (UTC), the day clamped to the month's end.
  function plus(t, m) {
    var x = new Date(t), day = x.getUTCDate();
    x.setUTCDate(1);
    x.setUTCMonth(x.getUTCMonth() + m);
    x.setUTCDate(Math.min(day, new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth() + 1, 0)).getUTCDate()));
    return x.getTime();
  }
  function alive(c, p, grant) {
    var m = p[grant ? 'grant-months' : 'refusal-months'];
    return m == null || Date.now() < plus(c.t, m);
  }
  // A stored choice stands if it cites this notice and answers every purpose, none expired.
  function valid(c) {
    return !!c && c.n === cfg.notice.reference && cfg.purposes.every(function (p) {
      var g = has(c.g, p.id);
      return (g || has(c.r, p.id)) && alive(c, p, g);
    });
  }
  // Under Global Privacy Control an advertising grant stands only if the choice was made
  // with the signal on (`p`), as consent.status-with-signals answers.
  function granted(id) {
    if (!cur || !has(cur.g, id)) return false;
    return !(GPC && !cur.p && cfg.purposes.some(function (p) { return p.id == id && p.kind == 'advertising'; }));
  }
  function choice() {
    return cur && { visitor: cur.v, notice: cur.n, at: cur.t, granted: cur.g.slice(), refused: cur.r.slice() };
  }
  // The purposes the banner asks about ([] without a configuration), for bridges to other
  // consent APIs (the WordPress plugin's WP Consent API one).
  function purposes() {
    return cfg ? cfg.purposes.map(function (p) { return { id: p.id, kind: p.kind, title: p.title }; }) : [];
  }

  function mode() {
    function all(kind) {
      var ps = cfg.purposes.filter(function (p) { return p.kind == kind; });
      return ps.length && ps.every(function (p) { return granted(p.id); }) ? 'granted' : D;
    }
    var a = all('advertising'), c = all('cookie');
    w.gtag('consent', 'update', { ad_storage: a, ad_user_data: a, ad_personalization: a, analytics_storage: c, personalization_storage: c });
  }

  // Held elements: run them once their purpose is granted.
  function release(el) {
    var id = el.getAttribute('data-category');
    if (!granted(id)) return;
    if (el.tagName == 'SCRIPT') {
      if (el.type != 'text/plain') return;
      var s = d.createElement('script');
      [].forEach.call(el.attributes, function (a) {
        if (!/^(type|data-category|data-type)$/.test(a.name)) s.setAttribute(a.name, a.value);
      });
      if (el.hasAttribute('data-type')) s.type = el.getAttribute('data-type');
      if (el.nonce) s.nonce = el.nonce;
      if (!el.hasAttribute('async')) s.async = false;
      s.text = el.text;
      el.parentNode.replaceChild(s, el);
    } else if (el.hasAttribute('data-src') && !el.getAttribute('src')) {
      el.setAttribute('src', el.getAttribute('data-src'));
    }
  }
  function scan(root) {
    if (root.nodeType != 1) return;
    if (root.hasAttribute('data-category')) release(root);
    [].forEach.call(root.querySelectorAll('script[data-category],iframe[data-category]'), release);
  }
  new MutationObserver(function (ms) {
    if (cur) ms.forEach(function (m) { [].forEach.call(m.addedNodes, scan); });
  }).observe(d.documentElement, { childList: true, subtree: true });

  // Cookies the shop lists for a purpose: data-cookies-ID="name other prefix*".
  function wipe(id) {
    var pats = (me.getAttribute('data-cookies-' + id) || '').split(/\s+/).filter(Boolean);
    if (!pats.length) return;
    var h = location.hostname.split('.'), doms = [''];
    for (var i = 0; i < h.length; i++) doms.push(';domain=' + h.slice(i).join('.'), ';domain=.' + h.slice(i).join('.'));
    d.cookie.split(';').forEach(function (c) {
      var n = c.split('=')[0].trim();
      if (n && pats.some(function (p) { return p.slice(-1) == '*' ? n.indexOf(p.slice(0, -1)) == 0 : n == p; })) {
        doms.forEach(function (dm) { d.cookie = n + '=;path=/;max-age=0;expires=Thu, 01 Jan 1970 00:00:00 GMT' + dm; });
      }
    });
  }

  function apply() {
    if (cur) mode();
    cfg.purposes.forEach(function (p) { if (!granted(p.id)) wipe(p.id); });
    if (cur) scan(d.documentElement);
  }

  // A decision: `on` maps purpose id -> granted.
  function decide(on) {
    var at = Date.now(), prev = last, g = [], r = [];
    if (prev && at <= prev.t) at = prev.t + 1; // receipt ids stay unique per visitor
    var c = { v: visitor(), n: cfg.notice.reference, t: at, g: g, r: r };
    if (GPC) c.p = 1;
    cfg.purposes.forEach(function (p, i) {
      var yes = !!on[p.id];
      (yes ? g : r).push(p.id);
      var before = prev && has(prev.g, p.id) && alive(prev, p, true);
      send({
        subject: { tag: 'external', val: c.v }, purpose: p.id,
        decision: yes ? 'grant' : before ? 'withdraw' : 'refuse',
        'given-by': 'subject', channel: 'cookie-banner', notice: c.n,
        'receipt-id': at.toString(36) + '-' + i + (acc ? '-' + c.v.slice(2, 10) : ''), gpc: GPC
      });
    });
    keep(c);
    var l = d.getElementById('fichier-choice');
    if (l) l.remove();
    hide();
    apply();
    d.dispatchEvent(new CustomEvent('fichier:consent', { detail: choice() }));
  }
  function keep(c) {
    d.cookie = CK + '=' + encodeURIComponent(JSON.stringify(c)) + ';path=/;max-age=' + Math.floor((plus(c.t, 13) - Date.now()) / 1000) + ';SameSite=Lax' +
      (location.protocol == 'https:' ? ';Secure' : '');
    last = cur = c;
  }
  // Logged in: the customer's receipt (a reference expired since: the device's).
  function send(body, own) {
    if (acc && !own) body.customer = CUS; else delete body.customer;
    fetch(BASE + '/v1/consent/receipts', {
      method: 'POST', keepalive: true, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (res) {
      if (body.customer && res.status == 422) return send(body, 1);
      if (!res.ok) return res.json().then(function (p) { console.warn('fichier: receipt refused:', p.detail || res.status); });
    }).catch(function (e) { console.warn('fichier: receipt not sent:', e); });
  }
  function every(fn) {
    var on = {};
    cfg.purposes.forEach(function (p) { on[p.id] = fn(p); });
    decide(on);
  }
  function refuseAll() { every(function () { return false; }); }
  function acceptAll() { every(function (p) { return !(GPC && p.kind == 'advertising'); }); }
  function save() {
    every(function (p) { return ui.querySelector('input[data-purpose="' + CSS.escape(p.id) + '"]').checked; });
  }
  // Closing is a refusal when asked; when reopened over a standing choice it keeps that choice.
  function dismiss() { if (cur) hide(); else refuseAll(); }

  function el(tag, attrs, text) {
    var e = d.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function button(act, text, cls) { return el('button', { type: 'button', 'data-fichier': act, 'class': cls || 'fb-b' }, text); }

  function build() {
    var root = el('div', { id: 'fichier-banner', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'fb-h', 'aria-describedby': 'fb-p', lang: LANG, tabindex: '-1', hidden: '' });
    root.appendChild(el('h2', { id: 'fb-h' }, T.h));
    root.appendChild(el('p', { id: 'fb-p' }, T.p));
    // The purposes asked for, named on the first layer (not only behind "Personnaliser").
    var fl = root.appendChild(el('ul', { 'class': 'fb-f', 'data-fichier': 'purposes' }));
    cfg.purposes.forEach(function (p) { fl.appendChild(el('li', {}, p.title)); });
    if (GPC) root.appendChild(el('p', { 'class': 'fb-gpc', 'data-fichier': 'gpc' }, T.g));
    if (acc) root.appendChild(el('p', { 'class': 'fb-gpc', 'data-fichier': 'devices' }, T.x));
    var nb = root.appendChild(button('notice', T.n, 'fb-l'));
    nb.setAttribute('aria-expanded', 'false');
    nb.setAttribute('aria-controls', 'fb-n');
    root.appendChild(el('div', { id: 'fb-n', 'class': 'fb-n', hidden: '' }, cfg.notice.text));
    var acts = root.appendChild(el('div', { 'class': 'fb-a' }));
    acts.appendChild(button('refuse', T.r));
    acts.appendChild(button('accept', T.a));
    var cb = acts.appendChild(button('customise', T.c, 'fb-c'));
    cb.setAttribute('aria-expanded', 'false');
    cb.setAttribute('aria-controls', 'fb-s');
    var panel = root.appendChild(el('div', { id: 'fb-s', 'class': 'fb-s', hidden: '' }));
    var ul = panel.appendChild(el('ul'));
    cfg.purposes.forEach(function (p) {
      var lab = ul.appendChild(el('li')).appendChild(el('label'));
      lab.appendChild(el('input', { type: 'checkbox', role: 'switch', 'class': 'fb-sw', 'data-purpose': p.id }));
      lab.appendChild(el('span', {}, p.title));
    });
    panel.appendChild(button('save', T.s));
    root.appendChild(button('close', '×', 'fb-x')).setAttribute('aria-label', 'Fermer / Close');
    root.addEventListener('click', function (e) {
      var b = e.target.closest('button[data-fichier]');
      if (!b) return;
      var a = b.getAttribute('data-fichier');
      if (a == 'refuse') refuseAll();
      else if (a == 'accept') acceptAll();
      else if (a == 'save') save();
      else if (a == 'close') dismiss();
      else if (a == 'notice') toggle(b, root.querySelector('#fb-n'));
      else if (a == 'customise' && toggle(b, panel)) panel.querySelector('input').focus();
    });
    d.body.appendChild(root);
    return root;
  }
  function toggle(b, box) {
    box.hidden = !box.hidden;
    b.setAttribute('aria-expanded', String(!box.hidden));
    return !box.hidden;
  }
  function onKey(e) { if (e.key == 'Escape' && ui && !ui.hidden) { e.preventDefault(); dismiss(); } }

  function open() {
    if (!cfg || !cfg.purposes.length) return;
    ui = ui || build();
    [].forEach.call(ui.querySelectorAll('input[data-purpose]'), function (i) { i.checked = granted(i.getAttribute('data-purpose')); });
    var panel = ui.querySelector('#fb-s'), cb = ui.querySelector('[data-fichier=customise]');
    if (!!cur != !panel.hidden) toggle(cb, panel); // a reopened banner shows the switches
    back = d.activeElement;
    ui.hidden = false;
    ui.focus();
    d.addEventListener('keydown', onKey);
  }
  function hide() {
    if (!ui) return;
    ui.hidden = true;
    d.removeEventListener('keydown', onKey);
    reopener();
    var f = back && back.isConnected ? back : d.querySelector('[data-fichier=reopen]');
    if (f && f.focus) f.focus();
    back = null;
  }
  // The account's choice in force becomes this device's; true if new here.
  function adopt(a) {
    var c = { v: visitor(), n: a.notice, t: Date.parse(a.at), g: a.granted, r: a.refused };
    if (GPC) c.p = 1;
    if (cur && JSON.stringify([cur.g, cur.r]) == JSON.stringify([c.g, c.r])) return false;
    keep(c);
    return true;
  }
  function line() {
    var ok = cfg.purposes.filter(function (p) { return granted(p.id); }).map(function (p) { return p.title; });
    var box = el('div', { id: 'fichier-choice', 'class': 'fb-re fb-k', role: 'status', lang: LANG });
    box.appendChild(el('span', {}, T.k + (ok.length ? T.y + ok.join(', ') : T.z)));
    box.appendChild(button('reopen', T.m));
    box.appendChild(button('ok', '×')).setAttribute('aria-label', 'OK');
    box.addEventListener('click', function (e) {
      if (e.target.getAttribute('data-fichier') == 'ok') { box.remove(); reopener(); }
    });
    d.body.appendChild(box);
  }
  // A permanent way back: the page's [data-fichier-open] elements, else a small button.
  function reopener() {
    if (!d.querySelector('[data-fichier-open],[data-fichier=reopen]')) d.body.appendChild(button('reopen', T.o, 'fb-re'));
  }
  d.addEventListener('click', function (e) {
    var t = e.target.closest && e.target.closest('[data-fichier-open],[data-fichier=reopen]');
    if (t) { e.preventDefault(); open(); }
  });

  var settled = false;
  w.fichierBanner = { open: open, choice: choice, granted: granted, purposes: purposes, ready: function () { return settled; } };

  var css = new Promise(function (ok) {
    var l = el('link', { rel: 'stylesheet', href: BASE + '/banner.css' });
    l.onload = l.onerror = ok;
    d.head.appendChild(l);
  });
  var ready = new Promise(function (ok) {
    if (d.readyState == 'loading') d.addEventListener('DOMContentLoaded', ok); else ok();
  });
  var mine = CUS && fetch(BASE + '/v1/banner/choice', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customer: CUS, lang: LANG, signals: { gpc: GPC } })
  }).then(function (res) {
    if (!res.ok) throw new Error('HTTP ' + res.status);
    acc = true;
    return res.json();
  }).catch(function (e) { console.warn('fichier: customer reference refused, this device only:', e); });
  fetch(BASE + '/v1/banner?lang=' + LANG).then(function (res) {
    if (!res.ok) throw new Error('HTTP ' + res.status);
    return res.json();
  }).then(function (c) {
    if (!c || !Array.isArray(c.purposes) || (c.purposes.length && !c.notice)) throw new Error('malformed configuration');
    cfg = c;
    if (!cfg.purposes.length) return;
    if (valid(last)) cur = last;
    return Promise.resolve(mine).then(function (a) {
      var shown = !!a && a.notice == cfg.notice.reference && adopt(a);
      apply();
      return Promise.all([css, ready]).then(function () { if (cur) { reopener(); if (shown) line(); } else open(); });
    });
  }).catch(function (e) {
    cfg = null;
    cur = null;
    console.warn('fichier: no banner configuration, nothing gated runs:', e);
  }).then(function () { return ready; }).then(function () {
    settled = true;
    d.dispatchEvent(new CustomEvent('fichier:ready', { detail: choice() }));
  });
})(window, document);
