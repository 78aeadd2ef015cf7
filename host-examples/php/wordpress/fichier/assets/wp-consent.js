/* fichier for WordPress: the banner's choice, told to the WP Consent API. Loaded after the
   API's script (wp-consent-api.js), with window.fichierWpConsent = { type, categories, always,
   kinds, purposes } (the same for every visitor: see class-fichier-wp-consent-api.php).
   Each category is set with the API's wp_set_consent(category, 'allow'|'deny'): an `always`
   one allows; another allows when the purposes that decide it (their id in `purposes`, else
   their kind in `kinds`) are all granted in the banner's choice in force; else it denies (no
   choice, a refusal, a withdrawal, a choice that no longer stands, no such purpose). Done once
   the banner has read the stored choice ("fichier:ready"), and again at each decision
   ("fichier:consent"); at once, denying, when the banner did not load. The API dispatches
   wp_listen_for_consent_change when a value changes. */
(function (w, d) {
  'use strict';
  var M = w.fichierWpConsent;
  if (!M || typeof w.wp_set_consent != 'function') return;
  w.wp_consent_type = M.type;
  d.dispatchEvent(new CustomEvent('wp_consent_type_defined'));

  function has(list, x) { return (list || []).indexOf(x) >= 0; }
  // A banner without the bridge's API (a remote fichier older than this plugin) is as none.
  var b = w.fichierBanner && typeof w.fichierBanner.ready == 'function' ? w.fichierBanner : null;
  if (w.fichierBanner && !b) console.warn('fichier: this banner.js tells nothing to the WP Consent API (update fichier): everything but ' + M.always.join(', ') + ' is denied');
  function sync() {
    var ps = b ? b.purposes() : [];
    M.categories.forEach(function (cat) {
      var allow = has(M.always, cat);
      if (!allow) {
        var mine = ps.filter(function (p) {
          return has(Object.prototype.hasOwnProperty.call(M.purposes, p.id) ? M.purposes[p.id] : M.kinds[p.kind], cat);
        });
        allow = mine.length > 0 && mine.every(function (p) { return b.granted(p.id); });
      }
      w.wp_set_consent(cat, allow ? 'allow' : 'deny');
    });
  }
  d.addEventListener('fichier:consent', sync);
  // The banner is in the head: missing here, it did not load, and nothing is allowed.
  if (!b || b.ready()) sync();
  else d.addEventListener('fichier:ready', sync, { once: true });
})(window, document);
