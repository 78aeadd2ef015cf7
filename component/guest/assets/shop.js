/* Boutique Démo (demo): the newsletter form (a sign-up citing the registered notice,
   confirmed from the link of the mail it sends: double opt-in; the measuring of the
   letters' opens its own unticked box and its own sign-up), the pages the mails link
   to (?confirmer=<token>, ?desinscription=<token>: a button posts the token, so a mail
   scanner opening the link confirms nothing), and the "Mes données" form (rights request,
   then the code sent by e-mail). Everything from the server is shown with textContent. */
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var gpc = navigator.globalPrivacyControl === true;
  var STATES = {
    'awaiting-identity': 'en attente de la confirmation de votre identité',
    'in-progress': 'en cours de traitement',
    done: 'traitée',
    refused: 'refusée'
  };

  // fetch JSON; a problem+json answer becomes an Error carrying its detail.
  function call(method, path, body) {
    var init = { method: method, headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
        if (!res.ok) {
          var err = new Error((data && data.detail) || 'erreur ' + res.status);
          err.problem = data;
          throw err;
        }
        return data;
      });
    });
  }
  function show(el, text, ok) {
    el.textContent = text;
    el.className = 'result ' + (ok ? 'ok' : 'ko');
  }
  function date(ts) {
    var d = new Date(ts);
    return isNaN(d) ? ts : d.toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' });
  }
  function emailOk(v) { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v); }

  // The newsletter and the measuring of its opens (its own consent, CNIL délibération
  // 2026-042): for each, the latest French notice covering exactly that purpose.
  var notices = {};
  function loadNotice(purpose, box, what) {
    call('GET', '/v1/notices').then(function (list) {
      var best = null;
      (list || []).forEach(function (n) {
        if (n.lang == 'fr' && n.purposes.length == 1 && n.purposes[0] == purpose && (!best || n.version > best.version)) best = n;
      });
      if (!best) throw new Error('aucune information enregistrée pour ' + what);
      // A reference is [a-z0-9+:.-]: it goes into the path as it is.
      return call('GET', '/v1/notices/' + best.reference.replace(/[^A-Za-z0-9+:._-]/g, encodeURIComponent));
    }).then(function (pair) {
      notices[purpose] = pair[0];
      box.textContent = pair[1];
      box.setAttribute('data-reference', pair[0].reference);
    }).catch(function (e) {
      box.textContent = 'L’information sur ce traitement n’a pas pu être chargée (' + e.message + ') : ce choix est impossible pour l’instant.';
    });
  }
  loadNotice('newsletter', $('newsletter-notice'), 'la lettre');
  loadNotice('newsletter-opens', $('newsletter-tracking-notice'), 'la mesure d’ouverture');
  function signUp(email, purpose) {
    return call('POST', '/v1/consent/sign-ups', {
      subject: { tag: 'email', val: email },
      purpose: purpose,
      decision: 'grant',
      'given-by': 'subject',
      channel: 'web-form',
      notice: notices[purpose].reference,
      gpc: gpc
    });
  }

  $('newsletter-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var out = $('newsletter-result'), email = $('newsletter-email').value.trim();
    if (!emailOk(email)) return show(out, 'Saisissez une adresse e-mail valide.', false);
    if (!$('newsletter-consent').checked) {
      return show(out, 'Case non cochée : rien n’a été enregistré et vous n’êtes pas inscrit(e) à la lettre.', false);
    }
    var tracking = $('newsletter-tracking').checked;
    if (!notices.newsletter || (tracking && !notices['newsletter-opens'])) {
      return show(out, 'L’information n’est pas chargée : rien n’a été enregistré.', false);
    }
    show(out, 'Envoi…', true);
    // Each consent by e-mail is confirmed by its own mail (double opt-in).
    signUp(email, 'newsletter').then(function () {
      return tracking ? signUp(email, 'newsletter-opens') : null;
    }).then(function () {
      // The same answer whatever the address: the mail decides.
      show(out, 'Presque fini : ' + (tracking ? 'deux e-mails de confirmation partent' : 'un e-mail de confirmation part') +
        ' vers cette adresse. Votre inscription ne compte qu’une fois confirmée par le lien de cet e-mail (information ' +
        notices.newsletter.reference + ')' + (tracking ? ', la mesure d’ouverture par celui du second (information ' +
        notices['newsletter-opens'].reference + ')' : '') + '. Vous pourrez les retirer à tout moment ' +
        'par le lien de désinscription de chaque lettre ou par le formulaire « Mes données ».', true);
      $('newsletter-form').reset();
    }).catch(function (err) {
      show(out, 'Rien n’a été enregistré : ' + err.message, false);
    });
  });

  // The pages the mails link to: the token is posted only when the person clicks.
  var params = new URLSearchParams(location.search);
  function landing(param, formId, path, done) {
    var token = params.get(param);
    if (!token) return;
    var form = $(formId);
    form.hidden = false;
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var out = form.querySelector('.result');
      call('POST', path + encodeURIComponent(token)).then(function () {
        show(out, done, true);
        form.querySelector('button').disabled = true;
      }).catch(function (err) {
        show(out, 'Rien n’a été enregistré : ' + err.message, false);
      });
    });
  }
  landing('confirmer', 'confirm-form', '/v1/consent/confirm/',
    'Inscription confirmée : vous recevrez la lettre d’information. Merci !');
  landing('desinscription', 'unsubscribe-form', '/v1/unsubscribe/',
    'Vous êtes désinscrit(e) : vous ne recevrez plus la lettre d’information, et l’ouverture des lettres déjà reçues n’est plus mesurée.');

  // Rights: the request, then the code received by e-mail.
  var request = null;
  $('rights-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var out = $('rights-result'), email = $('rights-email').value.trim(), details = $('rights-details').value.trim();
    if (!emailOk(email)) return show(out, 'Saisissez une adresse e-mail valide.', false);
    var body = {
      subject: { tag: 'email', val: email },
      kind: $('rights-kind').value,
      channel: 'web-form',
      lang: 'fr',
      'identity-verified': false
    };
    if (details) body.details = details;
    show(out, 'Envoi…', true);
    call('POST', '/v1/requests', body).then(function (r) {
      request = r;
      show(out, 'Demande ' + r.id + ' reçue (' + (STATES[r.state] || r.state) + '). Nous vous répondrons au plus tard le ' +
        date(r.deadline) + ', une fois votre identité confirmée : saisissez ci-dessous le code envoyé à votre adresse.', true);
      $('token-form').hidden = false;
      $('token-result').textContent = '';
      $('token-code').focus();
    }).catch(function (err) {
      show(out, 'La demande n’a pas été enregistrée : ' + err.message, false);
    });
  });

  $('token-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var out = $('token-result'), code = $('token-code').value.replace(/\s+/g, '').toUpperCase();
    if (!request) return;
    if (!code) return show(out, 'Saisissez le code reçu par e-mail.', false);
    call('POST', '/v1/requests/' + encodeURIComponent(request.id) + '/steps', { tag: 'verify-token', val: code }).then(function (r) {
      request = r;
      show(out, 'Identité confirmée. Votre demande ' + r.id + ' est ' + (STATES[r.state] || r.state) + ' (' + r.state +
        ') ; réponse au plus tard le ' + date(r.deadline) + '.', true);
      $('token-form').reset();
    }).catch(function (err) {
      show(out, 'Code refusé : ' + err.message, false);
    });
  });
})();
