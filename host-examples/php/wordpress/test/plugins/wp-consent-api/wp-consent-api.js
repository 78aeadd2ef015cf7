/* Test double of the WP Consent API's assets/js/wp-consent-api.js (see wp-consent-api.php for
   the upstream commit it follows): the consent type from consent_api (window.wp_consent_type
   wins when a consent management plugin sets it), cookies <prefix>_<category>, and the event
   wp_listen_for_consent_change (detail: { category: value }) when wp_set_consent changes a value. */
'use strict';
window.wp_fallback_consent_type = consent_api.consent_type;
window.waitfor_consent_hook = consent_api.waitfor_consent_hook;

function consent_api_get_cookie(name) {
  name = name + '=';
  var cookies = window.document.cookie.split(';');
  for (var i = 0; i < cookies.length; i++) {
    var cookie = cookies[i].trim();
    if (cookie.indexOf(name) === 0) return cookie.substring(name.length, cookie.length);
  }
  return '';
}

function consent_api_set_cookie(name, value) {
  var secure = window.location.protocol !== 'https:' ? '' : ';secure';
  var date = new Date();
  date.setTime(date.getTime() + consent_api.cookie_expiration * 24 * 60 * 60 * 1000);
  document.cookie = name + '=' + value + secure + ';expires=' + date.toGMTString() + ';path=/';
}

function wp_has_consent(category) {
  var type = typeof window.wp_consent_type !== 'undefined' ? window.wp_consent_type : window.wp_fallback_consent_type;
  var value = consent_api_get_cookie(consent_api.cookie_prefix + '_' + category);
  if (!type) return true;
  if (type.indexOf('optout') !== -1 && value === '') return true;
  return value === 'allow';
}

function wp_set_consent(category, value) {
  if (value !== 'allow' && value !== 'deny') return;
  var previous = consent_api_get_cookie(consent_api.cookie_prefix + '_' + category);
  consent_api_set_cookie(consent_api.cookie_prefix + '_' + category, value);
  if (previous === value) return;
  var changed = [];
  changed[category] = value;
  document.dispatchEvent(new CustomEvent('wp_listen_for_consent_change', { detail: changed }));
}
