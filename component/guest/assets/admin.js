/* fichier — the admin page. Every call sends the API key (kept in sessionStorage) as a
   Bearer token; a 401 (or a key refused everywhere) brings the login back with the
   problem's detail. Everything that comes from the server is inserted as text
   (createElement / textContent / append of strings), never as markup. */
(function () {
  'use strict';
  var KEY = 'fichier-admin-key';
  var SVG = 'http://www.w3.org/2000/svg';
  var DAY = 864e5;
  var $ = function (id) { return document.getElementById(id); };

  var KINDS = {
    access: 'Accès', rectification: 'Rectification', erasure: 'Effacement', restriction: 'Limitation',
    portability: 'Portabilité', objection: 'Opposition', withdrawal: 'Retrait du consentement'
  };
  var STATES = { 'awaiting-identity': 'Identité à confirmer', 'in-progress': 'En cours', done: 'Traitée', refused: 'Refusée' };
  var CHANNELS = { 'web-form': 'Formulaire', email: 'E-mail', letter: 'Courrier', phone: 'Téléphone', 'in-person': 'Sur place' };
  var BASES = {
    consent: 'consentement', contract: 'contrat', 'legal-obligation': 'obligation légale',
    'vital-interests': 'intérêts vitaux', 'public-task': 'mission d’intérêt public', 'legitimate-interests': 'intérêt légitime'
  };
  var RISKS = { unlikely: 'Risque peu probable', risk: 'Risque', high: 'Risque élevé' };
  var COLOURS = ['#1d4ed8', '#b91c1c', '#047857', '#7c3aed', '#b45309', '#0e7490', '#be185d', '#374151'];

  /* ---- DOM helpers: text only ---- */
  function h(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function add(e, c) {
    if (c == null || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { add(e, x); });
    else e.append(typeof c == 'object' ? c : String(c));
  }
  function s(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function fill(box) {
    box.replaceChildren.apply(box, [].slice.call(arguments, 1).filter(function (x) { return x != null; }));
  }
  function when(ts) {
    if (!ts) return '—';
    var d = new Date(ts);
    if (isNaN(d)) return String(ts);
    return h('time', { datetime: ts, title: ts },
      d.toLocaleString('fr-FR', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Paris' }));
  }
  /* A date shown as a day: the Paris calendar date (23:30 UTC on 14 June is 15 June). */
  function day(ts) {
    var d = new Date(ts);
    if (isNaN(d)) return String(ts);
    return h('time', { datetime: ts, title: ts }, d.toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' }));
  }
  function table(caption, heads, rows) {
    return h('div', { 'class': 'scroll' },
      h('table', {},
        h('caption', { 'class': 'sr' }, caption),
        h('thead', {}, h('tr', {}, heads.map(function (t) { return h('th', { scope: 'col' }, t); }))),
        h('tbody', {}, rows)));
  }
  function fr(loc) { return loc ? loc.fr : ''; }

  /* ---- API ---- */
  function key() { return sessionStorage.getItem(KEY) || ''; }
  function api(method, path, body) {
    var init = { method: method, cache: 'no-store', headers: { authorization: 'Bearer ' + key() } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
        if (!res.ok) {
          var err = new Error((data && data.detail) || 'HTTP ' + res.status);
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  }

  /* ---- Requests ---- */
  function isOpen(r) { return r.state == 'awaiting-identity' || r.state == 'in-progress'; }
  function requests(box) {
    return api('POST', '/v1/requests/search', { tag: 'all' }).then(function (list) {
      if (!list.length) return fill(box, h('p', { 'class': 'empty' }, 'Aucune demande.'));
      list.sort(function (a, b) {
        return (isOpen(b) - isOpen(a)) || (Date.parse(a.deadline) - Date.parse(b.deadline)) || (a.id < b.id ? -1 : 1);
      });
      var late = list.filter(function (r) { return r.overdue; }).length;
      fill(box,
        h('p', { 'class': late ? 'alert' : 'summary' },
          list.filter(isOpen).length + ' demande(s) ouverte(s) sur ' + list.length +
          (late ? ' — ' + late + ' en retard' : '')),
        table('Demandes de droits', ['N°', 'Demande', 'État', 'Canal', 'Reçue le', 'Échéance', 'Suivi'],
          list.map(function (r) {
            var follow = [];
            if (r.overdue) follow.push(h('strong', { 'class': 'tag late' }, 'en retard'));
            if (r.paused) follow.push(h('span', { 'class': 'tag' }, 'délai suspendu'));
            if (!isOpen(r) && r['closed-at']) follow.push(h('span', {}, 'close le ', when(r['closed-at'])));
            return h('tr', { 'class': (r.overdue ? 'overdue ' : '') + (isOpen(r) ? 'open' : 'closed'), 'data-id': r.id },
              h('td', {}, r.id),
              h('td', {}, KINDS[r.kind] || r.kind),
              h('td', {}, STATES[r.state] || r.state),
              h('td', {}, CHANNELS[r.channel] || r.channel),
              h('td', {}, when(r['received-at'])),
              h('td', {}, when(r.deadline)),
              h('td', {}, follow));
          })));
    });
  }

  /* ---- Consent rates: an SVG chart drawn by hand ---- */
  function ymd(t) { return new Date(t).toISOString().slice(0, 10); }
  function rates(box) {
    var now = Date.now(), to = ymd(now), from = ymd(now - 89 * DAY);
    return api('GET', '/v1/consent/rates?from=' + from + '&to=' + to).then(function (rows) {
      if (!rows.length) {
        return fill(box, h('p', { 'class': 'empty' }, 'Aucune décision de consentement entre le ' + from + ' et le ' + to + '.'));
      }
      var series = {}, order = [];
      rows.forEach(function (r) {
        if (!series[r.purpose]) { series[r.purpose] = []; order.push(r.purpose); }
        series[r.purpose].push(r);
      });
      fill(box, chart(from, to, order, series), totals(order, series));
    });
  }
  function rate(r) {
    var n = r.grants + r.refusals + r.withdrawals;
    return n ? (100 * r.grants) / n : 0;
  }
  function chart(from, to, order, series) {
    var W = 760, L = 64, R = 20, T = 16, PH = 220, B = 44, LEG = 24;
    var rowsOfLegend = Math.ceil(order.length / 4), H = T + PH + B + rowsOfLegend * LEG;
    var t0 = Date.parse(from), span = Math.max(1, (Date.parse(to) - t0) / DAY);
    var x = function (day) { return L + ((Date.parse(day) - t0) / DAY / span) * (W - L - R); };
    var y = function (pct) { return T + (1 - pct / 100) * PH; };
    var f = function (n) { return n.toFixed(1); };
    var svg = s('svg', {
      id: 'consent-chart', viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img',
      'aria-labelledby': 'consent-chart-title', 'class': 'chart'
    });
    svg.appendChild(s('title', { id: 'consent-chart-title' },
      'Part des décisions qui accordent le consentement, par jour et par finalité, du ' + from + ' au ' + to));
    var axes = svg.appendChild(s('g', { 'class': 'axes' }));
    [0, 25, 50, 75, 100].forEach(function (p) {
      axes.appendChild(s('line', { x1: L, x2: W - R, y1: y(p), y2: y(p), stroke: p ? '#e5e7eb' : '#111', 'stroke-width': 1 }));
      axes.appendChild(s('text', { x: L - 8, y: y(p) + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#111' }, p + ' %'));
    });
    axes.appendChild(s('line', { x1: L, x2: L, y1: T, y2: y(0), stroke: '#111', 'stroke-width': 1 }));
    for (var i = 0; i <= span; i += 15) tick(ymd(t0 + i * DAY));
    if (span % 15) tick(to);
    function tick(day) {
      var tx = x(day);
      axes.appendChild(s('line', { x1: tx, x2: tx, y1: y(0), y2: y(0) + 5, stroke: '#111' }));
      axes.appendChild(s('text', { x: tx, y: y(0) + 19, 'text-anchor': 'middle', 'font-size': 12, fill: '#111' },
        day.slice(8, 10) + '/' + day.slice(5, 7)));
    }
    axes.appendChild(s('text', { x: (L + W - R) / 2, y: y(0) + 36, 'text-anchor': 'middle', 'font-size': 12, fill: '#374151' },
      'jour (' + from + ' → ' + to + ')'));
    axes.appendChild(s('text', {
      x: 12, y: T + PH / 2, 'text-anchor': 'middle', 'font-size': 12, fill: '#374151',
      transform: 'rotate(-90 12 ' + (T + PH / 2) + ')'
    }, 'acceptation'));
    order.forEach(function (id, k) {
      var colour = COLOURS[k % COLOURS.length];
      var g = svg.appendChild(s('g', { 'class': 'series', 'data-purpose': id }));
      g.appendChild(s('polyline', {
        points: series[id].map(function (r) { return f(x(r.day)) + ',' + f(y(rate(r))); }).join(' '),
        fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-linejoin': 'round'
      }));
      series[id].forEach(function (r) {
        var c = g.appendChild(s('circle', { cx: f(x(r.day)), cy: f(y(rate(r))), r: 4, fill: colour, 'data-day': r.day }));
        c.appendChild(s('title', {}, id + ', ' + r.day + ' : ' + Math.round(rate(r)) + ' % (' + r.grants + ' accord(s), ' +
          r.refusals + ' refus, ' + r.withdrawals + ' retrait(s))'));
      });
      var lx = L + (k % 4) * 170, ly = T + PH + B + Math.floor(k / 4) * LEG + 8;
      var leg = svg.appendChild(s('g', { 'class': 'legend' }));
      leg.appendChild(s('rect', { x: lx, y: ly - 10, width: 14, height: 14, fill: colour }));
      leg.appendChild(s('text', { x: lx + 20, y: ly + 2, 'font-size': 13, fill: '#111' }, id));
    });
    return svg;
  }
  function totals(order, series) {
    return table('Totaux par finalité', ['Finalité', 'Accords', 'Refus', 'Retraits', 'Acceptation'],
      order.map(function (id) {
        var t = { grants: 0, refusals: 0, withdrawals: 0 };
        series[id].forEach(function (r) { t.grants += r.grants; t.refusals += r.refusals; t.withdrawals += r.withdrawals; });
        return h('tr', {}, h('td', {}, id), h('td', {}, t.grants), h('td', {}, t.refusals), h('td', {}, t.withdrawals),
          h('td', {}, Math.round(rate(t)) + ' %'));
      }));
  }

  /* ---- Opens of the mails' tracking pixel, per campaign (counts, no person) ---- */
  function opens(box) {
    var now = Date.now(), to = ymd(now), from = ymd(now - 89 * DAY);
    return api('GET', '/v1/consent/opens?from=' + from + '&to=' + to).then(function (rows) {
      if (!rows.length) {
        return fill(box, h('p', { 'class': 'empty' }, 'Aucune ouverture comptée entre le ' + from + ' et le ' + to + '.'));
      }
      var totals = {}, order = [];
      rows.forEach(function (r) {
        if (!(r.campaign in totals)) { totals[r.campaign] = 0; order.push(r.campaign); }
        totals[r.campaign] += r.opens;
      });
      order.sort();
      fill(box, table('Ouvertures par campagne', ['Campagne', 'Ouvertures'], order.map(function (c) {
        return h('tr', { 'data-campaign': c }, h('td', {}, c), h('td', {}, totals[c]));
      })));
    });
  }

  /* ---- Registry, breaches, integrity ---- */
  function registry(box) {
    return api('GET', '/v1/registry/activities?include-retired=true').then(function (list) {
      if (!list.length) return fill(box, h('p', { 'class': 'empty' }, 'Aucune activité. (POST /v1/registry/shop-defaults charge celles d’une boutique.)'));
      fill(box, table('Activités de traitement', ['Identifiant', 'Nom', 'Finalités (base légale)', 'Révision', 'Statut'],
        list.map(function (a) {
          var def = a.definition;
          return h('tr', { 'class': a.retired ? 'retired' : 'active', 'data-id': def.id },
            h('td', {}, h('code', {}, def.id)),
            h('td', { 'class': 'name' }, fr(def.name)),
            h('td', {}, (def.purposes || []).map(function (p, i) {
              return [i ? ', ' : '', p.id + ' (' + (BASES[p.basis] || p.basis) + ')'];
            })),
            h('td', {}, a.revision),
            h('td', {}, a.retired ? ['retirée le ', when(a.retired.at), ' : ', a.retired.reason] : 'active'));
        })));
    });
  }
  function informed(p) {
    var v = p.val;
    switch (p.tag) {
      case 'told': return ['personnes informées le ', when(v)];
      case 'unintelligible': return 'non informées, art. 34.3.a (données inintelligibles) : ' + v;
      case 'later-measures': return 'non informées, art. 34.3.b (mesures ultérieures) : ' + v;
      case 'disproportionate-effort':
        var c = v['public-communication'];
        return ['non informées une à une, art. 34.3.c (efforts disproportionnés) : ' + v.reason,
          c ? [' ; communication publique le ', day(c.at), ' (' + c.medium + ')'] : ''];
      default: return 'personnes non informées : ' + v;
    }
  }
  function breaches(box) {
    return api('GET', '/v1/breaches').then(function (list) {
      if (!list.length) return fill(box, h('p', { 'class': 'empty' }, 'Aucune violation enregistrée.'));
      fill(box, table('Violations de données', ['N°', 'Découverte', 'Description', 'Risque', 'Échéance CNIL (72 h)', 'Suivi'],
        list.map(function (b) {
          var f = b.facts, follow = [];
          if (b.cnil) follow.push(h('span', { 'class': 'tag' }, 'CNIL notifiée le ', when(b.cnil.at)));
          else if (b['notification-due']) follow.push(h('strong', { 'class': 'tag' + (b.overdue ? ' late' : '') }, b.overdue ? 'notification CNIL en retard' : 'notification CNIL à faire'));
          if (b['people-due']) follow.push(h('strong', { 'class': 'tag' }, 'personnes à informer'));
          if (b['public-communication-due']) follow.push(h('strong', { 'class': 'tag' }, 'communication publique à faire (art. 34.3.c)'));
          if (b.people) follow.push(h('span', { 'class': 'tag' }, informed(b.people)));
          return h('tr', { 'class': b.overdue ? 'overdue' : '', 'data-id': b.id },
            h('td', {}, b.id),
            h('td', {}, when(f['discovered-at'])),
            h('td', { 'class': 'text' }, f.description),
            h('td', {}, RISKS[f.risk] || f.risk),
            h('td', {}, when(b.deadline)),
            h('td', {}, follow.length ? follow : '—'));
        })));
    });
  }
  function verdict(ok, text) { return h('p', { 'class': ok ? 'ok' : 'ko' }, h('strong', {}, ok ? 'Intègre' : 'Anomalie'), ' — ', text); }
  function ledger(box) {
    return api('GET', '/v1/ledger/verify').then(function (r) {
      var f = r.failure;
      fill(box, h('h3', {}, 'Registre des consentements (reçus chaînés)'),
        verdict(r.ok, r.receipts + ' reçu(s) de ' + r.subjects + ' personne(s) et ' + r.anchors + ' ancre(s) vérifiés.'),
        f && h('p', { 'class': 'ko' }, f.message + ' (règle ' + f.rule +
          (f.subject ? ', personne ' + f.subject : '') + (f.seq != null ? ', position ' + f.seq : '') +
          (f.receipt ? ', reçu ' + f.receipt : '') + (f.anchor != null ? ', ancre ' + f.anchor : '') + ')'));
    });
  }
  function audit(box) {
    return api('GET', '/v1/audit/verify').then(function (r) {
      fill(box, h('h3', {}, 'Journal d’audit'),
        verdict(r.ok, r.entries + ' entrée(s) en ' + r.segments + ' segment(s) vérifiées ; dernière empreinte ' + r['last-hash'] + '.'),
        r.failures.length ? h('ul', { 'class': 'ko' }, r.failures.map(function (f) {
          return h('li', {}, f.message + ' (règle ' + f.rule + ', segment ' + f.segment + (f.seq != null ? ', entrée ' + f.seq : '') + ')');
        })) : null);
    });
  }

  /* ---- Session ---- */
  var SECTIONS = [['requests', requests], ['rates', rates], ['opens', opens], ['registry', registry], ['breaches', breaches], ['ledger', ledger], ['audit', audit]];
  function login(message) {
    sessionStorage.removeItem(KEY);
    $('dashboard').hidden = true;
    $('logout').hidden = $('refresh').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('login-key').value = '';
    $('login-key').focus();
  }
  function load() {
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('logout').hidden = $('refresh').hidden = false;
    SECTIONS.forEach(function (x) { fill($(x[0]), h('p', { 'class': 'loading' }, 'Chargement…')); });
    return Promise.allSettled(SECTIONS.map(function (x) { return x[1]($(x[0])); })).then(function (results) {
      var errs = results.filter(function (r) { return r.status == 'rejected'; }).map(function (r) { return r.reason; });
      var unauth = errs.filter(function (e) { return e.status == 401; })[0];
      if (unauth) return login(unauth.message);
      if (errs.length == SECTIONS.length && errs.every(function (e) { return e.status == 403; })) return login(errs[0].message);
      results.forEach(function (r, i) {
        if (r.status == 'rejected') {
          fill($(SECTIONS[i][0]), h('p', { 'class': 'ko' }, (r.reason.status == 403 ? 'Accès refusé à cette clé : ' : 'Erreur : ') + r.reason.message));
        }
      });
      document.body.setAttribute('data-loaded', 'true');
    });
  }

  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var k = $('login-key').value.trim();
    if (!k) { $('login-error').textContent = 'Saisissez une clé d’API.'; return; }
    sessionStorage.setItem(KEY, k);
    $('login-error').textContent = '';
    load();
  });
  $('logout').addEventListener('click', function () { login(''); });
  $('refresh').addEventListener('click', function () { document.body.removeAttribute('data-loaded'); load(); });
  if (key()) load(); else login('');
})();
