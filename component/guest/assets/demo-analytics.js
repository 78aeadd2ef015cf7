/* A stand-in for an audience-measurement tag, held by the banner until "analytics" is
   granted (<script type="text/plain" data-category="analytics" src="/demo-analytics.js">).
   It sets a first-party cookie and calls a collector that does not exist (the browser
   tests intercept https://analytics.example/; elsewhere the request simply fails). */
(function () {
  'use strict';
  document.cookie = '_demo_analytics=1; path=/; SameSite=Lax';
  new Image().src = 'https://analytics.example/collect?p=' + encodeURIComponent(location.pathname);
})();
