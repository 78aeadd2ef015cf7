<?php
/**
 * The plugin's test driver, run by `run` against a live WordPress over real HTTP (a cookie jar,
 * the admin pages, the same admin-ajax actions as Tools → Export / Erase Personal Data), with
 * fichier reached through the PHP client in the mode under test (FICHIER_WP_MODE: in-process
 * or http). Plain PHP: every check prints what differed; exit 1 if any failed.
 *
 * @package fichier-test
 */

declare(strict_types=1);

require dirname(__DIR__, 2) . '/src/autoload.php';

$MODE = getenv('FICHIER_WP_MODE') ?: 'in-process';
$BASE = (string) getenv('FICHIER_WP_BASE');
$PASSWORD = (string) getenv('FICHIER_WP_PASSWORD');
$EMAIL = (string) getenv('FICHIER_TEST_EMAIL');
$CLOCK = (string) getenv('FICHIER_TEST_CLOCK');

$failures = 0;
$checks = 0;
function check(bool $ok, string $what, mixed $got = null, mixed $want = null): void
{
    global $failures, $checks, $MODE;
    $checks++;
    if ($ok) {
        return;
    }
    $failures++;
    $show = static fn ($v) => is_string($v) ? (strlen($v) > 1500 ? substr($v, 0, 1500) . '…' : $v) : json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    fwrite(STDERR, "FAIL [$MODE] $what\n");
    if ($got !== null || $want !== null) {
        fwrite(STDERR, '  got:  ' . $show($got) . "\n  want: " . $show($want) . "\n");
    }
}
function same(mixed $got, mixed $want, string $what): void
{
    check($got === $want, $what, $got, $want);
}
function section(string $name): void
{
    global $MODE;
    echo "[$MODE] $name\n";
}

// ---------------------------------------------------------------------------------------
// fichier, as the test sees it: the same store as the plugin, through the client.

/** A client on the store the plugin uses (in-process: the site's MariaDB, as the plugin opens it by default). */
function fichier(): \Fichier\Client
{
    global $MODE;
    if ($MODE === 'http') {
        return \Fichier\Client::fromConfig(['transport' => 'http', 'url' => getenv('FICHIER_TEST_URL'), 'timeout' => 30.0]);
    }
    return \Fichier\Client::fromConfig([
        'transport' => 'in-process',
        'db' => (string) getenv('FICHIER_TEST_DB'),
        'master_key' => (string) getenv('FICHIER_TEST_MASTER_KEY'),
        'clock' => (string) getenv('FICHIER_TEST_CLOCK'),
        'settings' => ['public_rate_per_minute' => '100000'],
    ]);
}

/** One admin call; returns [status, decoded body]. */
function api(string $key, string $method, string $path, mixed $body = null): array
{
    $c = fichier();
    $h = ['authorization' => "Bearer $key"];
    $r = $body === null ? $c->request($method, $path, $h) : $c->request($method, $path, $h + ['content-type' => 'application/json'], json_encode($body, JSON_UNESCAPED_SLASHES));
    $c->close();
    return [$r->status, json_decode($r->body, true)];
}

function seed(string $key, string $path, mixed $body): mixed
{
    [$status, $data] = api($key, 'POST', $path, $body);
    if ($status !== 200) {
        fwrite(STDERR, "seeding $path failed: $status " . json_encode($data) . "\n");
        exit(1);
    }
    return $data;
}

// ---------------------------------------------------------------------------------------
// WordPress over HTTP, with a cookie jar.

final class Browser
{
    /** @var array<string, string> */
    public array $cookies = [];

    public function __construct(private string $base)
    {
    }

    /** @return array{status: int, headers: array<string, list<string>>, body: string} */
    public function request(string $method, string $path, ?array $form = null, array $headers = [], ?string $raw = null): array
    {
        $h = $headers;
        if ($this->cookies !== []) {
            $h[] = 'Cookie: ' . implode('; ', array_map(fn ($k, $v) => "$k=$v", array_keys($this->cookies), $this->cookies));
        }
        $content = $raw;
        if ($form !== null) {
            $content = http_build_query($form);
            $h[] = 'Content-Type: application/x-www-form-urlencoded';
        }
        $ctx = stream_context_create(['http' => [
            'method' => $method, 'header' => implode("\r\n", $h), 'content' => $content ?? '',
            'ignore_errors' => true, 'follow_location' => 0, 'timeout' => 60, 'protocol_version' => 1.0,
        ]]);
        $url = str_starts_with($path, 'http') ? $path : $this->base . $path;
        $body = @file_get_contents($url, false, $ctx);
        if ($body === false) {
            throw new RuntimeException("$method $path: no answer");
        }
        $status = 0;
        $out = [];
        foreach ($http_response_header as $line) {
            if (preg_match('#^HTTP/\S+ (\d{3})#', $line, $m)) {
                $status = (int) $m[1];
                $out = [];
                continue;
            }
            [$n, $v] = array_map('trim', explode(':', $line, 2) + [1 => '']);
            $out[strtolower($n)][] = $v;
            if (strtolower($n) === 'set-cookie' && preg_match('/^([^=;]+)=([^;]*)/', $v, $m)) {
                if ($m[2] === '' || str_contains(strtolower($v), 'expires=thu, 01-jan-1970') || preg_match('/max-age=0\b/i', $v)) {
                    unset($this->cookies[$m[1]]);
                } else {
                    $this->cookies[$m[1]] = $m[2];
                }
            }
        }
        return ['status' => $status, 'headers' => $out, 'body' => $body];
    }

    public function get(string $path, array $headers = []): array
    {
        return $this->request('GET', $path, null, $headers);
    }

    public function post(string $path, array $form): array
    {
        return $this->request('POST', $path, $form);
    }

    /** Follow one redirect, if any. */
    public function follow(array $r): array
    {
        if ($r['status'] >= 300 && $r['status'] < 400 && isset($r['headers']['location'][0])) {
            return $this->get($r['headers']['location'][0]);
        }
        return $r;
    }

    public function login(string $user, string $password): void
    {
        $this->cookies['wordpress_test_cookie'] = 'WP%20Cookie%20check';
        $r = $this->post('/wp-login.php', ['log' => $user, 'pwd' => $password, 'wp-submit' => 'Log In', 'redirect_to' => '/wp-admin/', 'testcookie' => '1']);
        $logged = array_filter(array_keys($this->cookies), fn ($k) => str_starts_with($k, 'wordpress_logged_in_'));
        if ($r['status'] !== 302 || $logged === []) {
            throw new RuntimeException("login as $user failed: HTTP {$r['status']}");
        }
    }
}

function attr(string $html, string $name): ?string
{
    return preg_match('/' . preg_quote($name, '/') . '="([^"]*)"/', $html, $m) ? html_entity_decode($m[1], ENT_QUOTES) : null;
}

function input_value(string $html, string $name): ?string
{
    if (preg_match('/<input[^>]*name="' . preg_quote($name, '/') . '"[^>]*>/', $html, $m)) {
        return attr($m[0], 'value');
    }
    return null;
}

// =======================================================================================
$admin = new Browser($BASE);
$admin->login('admin', $PASSWORD);

// --- fichier: an admin key, purposes, notices, the register's defaults, a customer and a
//     consent receipt for the person.
section('seeding fichier');
if ($MODE === 'in-process') {
    $c = fichier();
    $made = $c->invoke('settings', 'create-api-key', [['id' => 'wordpress-test', 'role' => 'admin'], 'wordpress', 'admin']);
    $c->close();
    if (!isset($made['ok'][1])) {
        fwrite(STDERR, 'cannot create an API key: ' . json_encode($made) . "\n");
        exit(1);
    }
    $KEY = (string) $made['ok'][1];
} else {
    $KEY = (string) getenv('FICHIER_TEST_API_KEY');
}
foreach ([['newsletter', 'marketing', 'Newsletter'], ['partners', 'marketing', 'Offers from our partners'], ['accounting', 'service', 'Accounting']] as [$id, $kind, $title]) {
    seed($KEY, '/v1/purposes', ['id' => $id, 'kind' => $kind, 'title' => $title, 'validity-months' => null]);
}
$NOTICE_TEXT = ['newsletter' => "Newsletter: your e-mail address, one letter a month.\nUnsubscribe at any time.", 'partners' => 'Partners: we pass your e-mail to three partners for their offers.'];
$NOTICES = [];
foreach ($NOTICE_TEXT as $p => $text) {
    $NOTICES[$p] = seed($KEY, '/v1/notices', ['purposes' => [$p], 'lang' => 'en', 'text' => $text])['reference'];
}
seed($KEY, '/v1/registry/shop-defaults', null);
$field = static fn (string $name, string $value, string $purpose, string $basis) => ['name' => $name, 'value' => $value, 'category' => null, 'purposes' => [$purpose], 'basis' => $basis, 'source' => null, 'collected-at' => null, 'verified-at' => null];
seed($KEY, '/v1/customers', ['subject' => ['tag' => 'email', 'val' => $EMAIL], 'fields' => [
    $field('email', $EMAIL, 'newsletter', 'consent'),
    $field('given-name', 'Ada', 'accounting', 'legal-obligation'),
    $field('family-name', 'Lovelace', 'accounting', 'legal-obligation'),
    $field('city', 'Lyon', 'accounting', 'legal-obligation'),
    $field('phone', '+33 6 12 34 56 78', 'newsletter', 'consent'),
]]);
$BLOCK_BUYER = 'block-buyer@example.org';
seed($KEY, '/v1/customers', ['subject' => ['tag' => 'email', 'val' => $BLOCK_BUYER], 'fields' => [$field('email', $BLOCK_BUYER, 'accounting', 'legal-obligation')]]);
seed($KEY, '/v1/consent/receipts', ['subject' => ['tag' => 'email', 'val' => $EMAIL], 'purpose' => 'newsletter', 'decision' => 'grant', 'given-by' => 'subject', 'channel' => 'web-form', 'notice' => $NOTICES['newsletter'], 'at' => null, 'receipt-id' => 'seed-1', 'client-ip' => null, 'user-agent' => null, 'gpc' => false, 'age' => null]);

// --- 5. Settings: bad settings refused with a message; then the good ones; the page; a non-admin refused.
section('settings page');
$page = $admin->get('/wp-admin/options-general.php?page=fichier');
same($page['status'], 200, 'the settings page answers an admin');
$nonce = input_value($page['body'], '_wpnonce');
check($nonce !== null, 'the settings form carries a nonce');
$form = static fn (array $s) => ['option_page' => 'fichier', 'action' => 'update', '_wpnonce' => $nonce, '_wp_http_referer' => '/wp-admin/options-general.php?page=fichier']
    + array_combine(array_map(fn ($k) => "fichier_settings[$k]", array_keys($s)), array_values($s));
$good = $MODE === 'http'
    ? ['transport' => 'http', 'url' => (string) getenv('FICHIER_TEST_URL'), 'db_path' => '', 'library' => '', 'api_key' => $KEY, 'purposes' => 'newsletter, partners', 'banner' => '1', 'lang' => 'en']
    : ['transport' => 'in-process', 'db_path' => '', 'library' => '', 'url' => '', 'api_key' => $KEY, 'purposes' => 'newsletter, partners', 'banner' => '1', 'lang' => 'en'];
$before = $admin->get('/wp-admin/options-general.php?page=fichier')['body'];
foreach ([
    'a transport that is not one' => [['transport' => 'carrier-pigeon'], 'Transport: choose in-process or http.'],
    'a relative data file' => [['transport' => 'in-process', 'db_path' => 'fichier.db'], 'Data file: give an absolute path'],
    'a remote URL that is not http' => [['transport' => 'http', 'url' => 'ftp://example.org/'], 'Remote URL: give an absolute http:// or https:// URL'],
    'a malformed API key' => [['api_key' => 'fk_nothex'], 'API key: paste the whole key'],
    'a purpose id with spaces inside a name' => [['purposes' => 'news Letter!'], 'is not a purpose id'],
    'a language fichier does not speak' => [['lang' => 'de'], 'Language: fr or en.'],
    'a key fichier does not know' => [['api_key' => 'fk_00000000_' . str_repeat('0', 64)], 'API key: fichier does not know this key'],
    'a remote fichier that does not answer' => [['transport' => 'http', 'url' => 'http://127.0.0.1:9/'], 'fichier cannot be reached with these settings'],
] as $what => [$change, $message]) {
    $r = $admin->follow($admin->post('/wp-admin/options.php', $form(array_merge($good, $change))));
    check(str_contains($r['body'], esc($message)), "bad settings ($what) are refused with a message", strip_tags(substr($r['body'], 0, 0)) ?: (preg_match('/<div[^>]*settings-error[^>]*>.*?<\/div>/s', $r['body'], $m) ? $m[0] : '(no settings error shown)'), $message);
    check(str_contains($r['body'], 'Nothing was saved'), "bad settings ($what) leave the saved settings as they were");
}
$after = $admin->get('/wp-admin/options-general.php?page=fichier')['body'];
same(form_values($after), form_values($before), 'the refused settings changed nothing');
$r = $admin->follow($admin->post('/wp-admin/options.php', $form($good)));
check(str_contains($r['body'], 'Settings saved.'), 'good settings are saved', preg_match('/<div[^>]*settings-error[^>]*>.*?<\/div>/s', $r['body'], $m) ? $m[0] : '(no message)', 'Settings saved.');
$page = $admin->get('/wp-admin/options-general.php?page=fichier');
if ($MODE === 'in-process') {
    // No data file: the site's own database, by default.
    check(str_contains($page['body'], 'wordpress (tables wp_fichier_data and wp_fichier_keys).'), 'the page says the data is in the site\'s database, in its prefix\'s tables', preg_match('/<p data-fichier-data>.*?<\/p>/', $page['body'], $m) ? $m[0] : '(no data line)', 'the site\'s database wordpress (tables wp_fichier_data and wp_fichier_keys)');
    check(!str_contains($page['body'], 'p@ss') && !str_contains($page['body'], rawurlencode('p@ss')), 'the page never shows the database password');
    // The URL made of wp-config.php's values, for each form DB_HOST takes.
    $sock = (string) (ini_get('mysqli.default_socket') ?: (ini_get('pdo_mysql.default_socket') ?: '/var/run/mysqld/mysqld.sock'));
    foreach ([
        ['db.example', 'shop', 'p@ss:w/rd %#?&', 'wp', 'wp_', 'mysql://shop:p%40ss%3Aw%2Frd%20%25%23%3F%26@db.example/wp?prefix=wp_'],
        ['db.example:3307', 'shop user', '', 'my shop', 'shop2_', 'mysql://shop%20user@db.example:3307/my%20shop?prefix=shop2_'],
        ['[2001:db8::1]:3307', 'shop', 'pw', 'wp', 'wp_', 'mysql://shop:pw@[2001:db8::1]:3307/wp?prefix=wp_'],
        ['localhost:/run/my sql/mysqld.sock', 'shop', 'pw', 'wp', 'wp_', 'mysql://shop:pw@localhost/wp?prefix=wp_&socket=%2Frun%2Fmy%20sql%2Fmysqld.sock'],
        ['localhost', 'shop', 'pw', 'wp', 'wp_', 'mysql://shop:pw@localhost/wp?prefix=wp_&socket=' . rawurlencode($sock)],
        ['127.0.0.1', 'shop', 'pw', 'wp', 'wp_', 'mysql://shop:pw@127.0.0.1/wp?prefix=wp_'],
    ] as [$host, $user, $pw, $name, $prefix, $want]) {
        $got = json_decode((new Browser($BASE))->get('/?' . http_build_query(['fichier-test' => 'db-url', 'host' => $host, 'user' => $user, 'password' => $pw, 'name' => $name, 'prefix' => $prefix]))['body'], true);
        same($got['url'] ?? $got, $want, "DB_HOST $host makes the URL fichier reads");
    }
    // A data file set wins: the plugin opens that SQLite file (a new store, which does not
    // know the plugin's key: the save is refused, and the file is there).
    $sqlite = (string) getenv('FICHIER_TEST_SQLITE');
    $r = $admin->follow($admin->post('/wp-admin/options.php', $form(array_merge($good, ['db_path' => $sqlite]))));
    check(str_contains($r['body'], 'API key: fichier does not know this key') && is_file($sqlite), 'a data file set is the store the plugin opens', [is_file($sqlite), preg_match('/<div[^>]*settings-error[^>]*>.*?<\/div>/s', $r['body'], $m) ? $m[0] : '(no message)'], [true, 'API key: fichier does not know this key']);
    same(form_values($admin->get('/wp-admin/options-general.php?page=fichier')['body'])['fichier_settings[db_path]'] ?? null, '', 'the refused data file was not saved');
}
check(str_contains($page['body'], "fichier answers ($MODE)"), "the page says fichier answers through the $MODE transport", null, "fichier answers ($MODE)");
check(str_contains($page['body'], 'data-fichier-status="ok"'), 'the page says fichier answers with the saved settings', preg_match('/<div class="notice[^>]*>.*?<\/div>/s', $page['body'], $m) ? $m[0] : '(no status)', 'data-fichier-status="ok"');
check(!str_contains($page['body'], substr($KEY, 12)), 'the page never prints the API key back');
check(str_contains($page['body'], substr($KEY, 0, 11) . '…'), 'the page names the saved key by its id', null, substr($KEY, 0, 11) . '…');
same(form_values($page['body'])['fichier_settings[transport]'] ?? null, $MODE, 'the transport is saved');
// The key stays when its field is left empty.
$r = $admin->follow($admin->post('/wp-admin/options.php', $form(array_merge($good, ['api_key' => '']))));
check(str_contains($admin->get('/wp-admin/options-general.php?page=fichier')['body'], 'data-fichier-status="ok"'), 'an empty key field keeps the saved key');

$sub = new Browser($BASE);
$sub->login('sam', $PASSWORD);
$r = $sub->get('/wp-admin/options-general.php?page=fichier');
same($r['status'], 403, 'the settings page is refused to a subscriber');
check(!str_contains($r['body'], 'fichier_settings['), 'a subscriber sees no settings form');
$r = $sub->post('/wp-admin/options.php', $form(array_merge($good, ['banner' => '0'])));
check($r['status'] === 403 || str_contains($r['body'], 'not allowed'), 'a subscriber cannot save the settings', $r['status'], 403);
same(form_values($admin->get('/wp-admin/options-general.php?page=fichier')['body'])['fichier_settings[banner]'] ?? null, '1', 'the settings are unchanged after the subscriber\'s attempt');

// --- 4. The banner: enqueued in the head of the front page; its requests reach the component.
section('banner');
$front = (new Browser($BASE))->get('/');
same($front['status'], 200, 'the front page answers');
$wantSrc = $MODE === 'http' ? getenv('FICHIER_TEST_URL') . '/banner.js' : $BASE . '/banner.js';
check((bool) preg_match('#<head>.*<script[^>]*data-lang="en"[^>]*src=[\'"]' . preg_quote($wantSrc, '#') . '[\'"][^>]*>.*</head>#s', $front['body']), 'the banner is enqueued in the head with its language', preg_match('#<script[^>]*banner[^>]*>#', $front['body'], $m) ? $m[0] : '(no banner script)', $wantSrc);
$visitor = new Browser($BASE);
$direct = fichier();
$componentBody = [];
foreach (['/banner.js', '/banner.css', '/v1/banner?lang=en'] as $path) {
    $want = $direct->request('GET', $path);
    $componentBody[$path] = $want->body;
    $got = $visitor->get(($MODE === 'http' ? getenv('FICHIER_TEST_URL') : '') . $path);
    same($got['status'], $want->status, "GET $path: the status the component gives");
    same($got['body'], $want->body, "GET $path: the body the component gives");
    same($got['headers']['content-type'][0] ?? null, $want->header('content-type'), "GET $path: the content type the component gives");
}
// Global Privacy Control's well-known resource is the shop origin's, whatever the transport.
$gpc = $visitor->get('/.well-known/gpc.json');
same([$gpc['status'], json_decode($gpc['body'], true), $gpc['headers']['content-type'][0] ?? null], [200, ['gpc' => true, 'lastUpdate' => '2026-12-06'], 'application/json'], 'the shop\'s origin says it honours Global Privacy Control');
$direct->close();
if ($MODE === 'in-process') {
    // Only the banner's public paths go to the component: not the admin routes.
    $r = $visitor->get('/v1/customers');
    check(!str_contains($r['body'], 'urn:fichier:problem'), 'an admin route is not passed on to the component', substr($r['body'], 0, 200), 'a WordPress page');
    $r = $visitor->request('DELETE', '/v1/banner');
    same($r['status'], 405, 'a method the banner does not use is refused');
}
// A receipt from the banner, as the banner posts it, from the shop's origin.
$bannerCfg = json_decode($visitor->get(($MODE === 'http' ? getenv('FICHIER_TEST_URL') : '') . '/v1/banner?lang=en')['body'], true);
check(is_array($bannerCfg) && array_key_exists('notice', $bannerCfg), 'the banner configuration decodes', $bannerCfg, '{notice, purposes}');
$visitorId = 'v-' . $MODE . '-1';
$receipt = ['subject' => ['tag' => 'external', 'val' => $visitorId], 'purpose' => 'partners', 'decision' => 'refuse', 'given-by' => 'subject', 'channel' => 'cookie-banner', 'notice' => null, 'at' => null, 'receipt-id' => 'banner-1', 'client-ip' => null, 'user-agent' => null, 'gpc' => false, 'age' => null];
$r = $visitor->request('POST', ($MODE === 'http' ? getenv('FICHIER_TEST_URL') : '') . '/v1/consent/receipts', null, ['Content-Type: application/json', "Origin: $BASE"], json_encode($receipt));
same($r['status'], 200, 'a banner receipt is recorded through the shop\'s origin');
$rec = json_decode($r['body'], true);
same($rec['ip-truncated'] ?? null, '127.0.0.0', 'the component saw the visitor\'s address (truncated)');
same($r['headers']['access-control-allow-origin'][0] ?? null, $BASE, 'the component\'s CORS answer comes back as it is');
[$st, $hist] = api($KEY, 'POST', '/v1/consent/history', ['subject' => ['tag' => 'external', 'val' => $visitorId]]);
same([$st, array_column($hist ?? [], 'id')], [200, ['banner-1']], 'the banner receipt is in fichier');
$r = $visitor->request('POST', ($MODE === 'http' ? getenv('FICHIER_TEST_URL') : '') . '/v1/consent/receipts', null, ['Content-Type: application/json', 'Origin: https://elsewhere.example'], json_encode(['receipt-id' => 'banner-2'] + $receipt));
same([$r['status'], json_decode($r['body'], true)['rule'] ?? null], [403, 'shop-origin'], 'a receipt from another origin is refused by the component');

// Consent by e-mail from a visitor goes through the mail (issue 24): a newsletter sign-up waits
// for the code its mail carries (double opt-in); the shop's mails carry a one-click unsubscribe
// link (RFC 8058) the plugin mints; each answer is the same 202 whatever the address.
section('double opt-in and one-click unsubscribe');
$at = $MODE === 'http' ? getenv('FICHIER_TEST_URL') : '';
$json = ['Content-Type: application/json', "Origin: $BASE"];
$optin = 'optin-' . $MODE . '@example.org';
$signUp = fn (string $email) => json_encode(['subject' => ['tag' => 'email', 'val' => $email], 'purpose' => 'newsletter', 'decision' => 'grant', 'given-by' => 'subject', 'channel' => 'web-form', 'notice' => $NOTICES['newsletter'], 'at' => null, 'receipt-id' => null, 'client-ip' => null, 'user-agent' => null, 'gpc' => false, 'age' => null]);
$r = $visitor->request('POST', $at . '/v1/consent/receipts', null, $json, $signUp($optin));
same([$r['status'], json_decode($r['body'], true)['rule'] ?? null], [422, 'email-confirmed-by-mail'], 'a visitor cannot record a decision by e-mail directly');
$r = $visitor->request('POST', $at . '/v1/consent/sign-ups', null, $json, $signUp($optin));
$known = $visitor->request('POST', $at . '/v1/consent/sign-ups', null, $json, $signUp($EMAIL));
same([$r['status'], json_decode($r['body'], true)], [202, ['outcome' => 'confirmation-sent']], 'a sign-up through the shop\'s origin waits for its confirmation');
same($known['body'], $r['body'], 'a known address gets the very same answer');
[$st, $hist] = api($KEY, 'POST', '/v1/consent/history', ['subject' => ['tag' => 'email', 'val' => $optin]]);
same([$st, $hist], [200, []], 'nothing is recorded before the confirmation');
[$st, $page] = api($KEY, 'GET', '/v1/outbox?limit=1000');
$mail = array_values(array_filter($page['messages'] ?? [], fn ($m) => $m['to'] === $optin && $m['kind'] === 'consent-confirmation'))[0] ?? null;
check(is_string($mail['token'] ?? null), 'the confirmation mail and its token are in the outbox', $mail, 'a consent-confirmation message');
$r = $visitor->request('POST', $at . '/v1/consent/confirm/' . ($mail['token'] ?? 'none'), null, ["Origin: $BASE"], '');
same([$r['status'], json_decode($r['body'], true)], [202, ['outcome' => 'confirmed']], 'the mail\'s token confirms the sign-up');
[$st, $hist] = api($KEY, 'POST', '/v1/consent/history', ['subject' => ['tag' => 'email', 'val' => $optin]]);
same([$st, array_column($hist ?? [], 'decision'), $hist[0]['notice']['reference'] ?? null], [200, ['grant'], $NOTICES['newsletter']], 'the grant is recorded, citing the notice the form showed');
$headers = json_decode($visitor->get('/?fichier-test=unsubscribe-headers&email=' . rawurlencode($optin) . '&purpose=newsletter')['body'], true);
same($headers['List-Unsubscribe-Post'] ?? null, 'List-Unsubscribe=One-Click', 'the plugin mints the one-click headers of a mail');
$link = preg_match('#^<(.+)>$#', $headers['List-Unsubscribe'] ?? '', $m) ? $m[1] : '';
check(str_starts_with($link, ($MODE === 'http' ? getenv('FICHIER_TEST_URL') : $BASE) . '/v1/unsubscribe/'), 'the link is the shop\'s origin in-process, fichier\'s over http', $link, '…/v1/unsubscribe/<token>');
$r = $visitor->request('POST', $link, null, ['Content-Type: application/x-www-form-urlencoded'], 'List-Unsubscribe=One-Click');
same([$r['status'], json_decode($r['body'], true)], [202, ['outcome' => 'withdrawn']], 'the mail client\'s one-click POST withdraws');
[$st, $hist] = api($KEY, 'POST', '/v1/consent/history', ['subject' => ['tag' => 'email', 'val' => $optin]]);
same(array_map(fn ($h) => [$h['decision'], $h['channel']], $hist ?? []), [['grant', 'web-form'], ['withdraw', 'email-link']], 'the withdrawal is in fichier, through the mail\'s link');

// The banner off: no tag, and (in-process) its paths are WordPress' again.
$admin->follow($admin->post('/wp-admin/options.php', $form(array_merge($good, ['banner' => '', 'api_key' => '']))));
$front = (new Browser($BASE))->get('/');
check(!str_contains($front['body'], 'banner.js'), 'with the banner off, the front page has no banner', preg_match('#<script[^>]*banner[^>]*>#', $front['body'], $m) ? $m[0] : null, 'no banner script');
if ($MODE === 'in-process') {
    $r = (new Browser($BASE))->get('/banner.js');
    check($r['body'] !== $componentBody['/banner.js'] && !str_contains(implode(' ', $r['headers']['content-type'] ?? []), 'javascript'), 'with the banner off, /banner.js is not the component\'s', [$r['status'], $r['headers']['content-type'] ?? null, substr($r['body'], 0, 120)], 'WordPress\' answer');
}
$admin->follow($admin->post('/wp-admin/options.php', $form(array_merge($good, ['api_key' => '']))));
check(str_contains((new Browser($BASE))->get('/')['body'], 'banner.js'), 'the banner is back once switched on again');

// --- 3. Checkout (WooCommerce stand-in): unticked boxes, one per purpose, with the notice.
section('checkout (WooCommerce stand-in)');
$shopper = new Browser($BASE);
$co = $shopper->get('/?fichier-wc-standin=checkout');
same($co['status'], 200, 'the stand-in checkout renders');
preg_match_all('/<input type="checkbox"[^>]*name="fichier_consent\[([^\]]+)\]"[^>]*>/', $co['body'], $boxes);
same($boxes[1], ['newsletter', 'partners'], 'one box per configured purpose, in order');
foreach ($boxes[0] as $i => $tag) {
    check(!str_contains($tag, 'checked'), "the {$boxes[1][$i]} box is unticked", $tag, 'no checked attribute');
}
foreach ($NOTICES as $p => $ref) {
    same(input_value($co['body'], "fichier_notice[$p]"), $ref, "the $p box cites its notice");
    check(str_contains($co['body'], nl2br(esc($NOTICE_TEXT[$p]))), "the $p box shows its notice's text", null, $NOTICE_TEXT[$p]);
}
$coNonce = input_value($co['body'], 'woocommerce-process-checkout-nonce');
$buyer = 'buyer-' . $MODE . '@example.org';
// A tampered notice reference is refused at validation, and nothing is recorded.
$r = $shopper->post('/?fichier-wc-standin=checkout', ['woocommerce-process-checkout-nonce' => $coNonce, 'billing_email' => $buyer, 'fichier_consent' => ['partners' => '1'], 'fichier_notice' => ['partners' => $NOTICES['newsletter']]]);
same($r['status'], 400, 'a box citing another purpose\'s notice stops the checkout with a notice');
[$st, $hist] = api($KEY, 'POST', '/v1/consent/history', ['subject' => ['tag' => 'email', 'val' => $buyer]]);
same($hist, [], 'the refused checkout recorded nothing');
// Partners ticked, newsletter not.
$r = $shopper->post('/?fichier-wc-standin=checkout', ['woocommerce-process-checkout-nonce' => $coNonce, 'billing_email' => $buyer, 'fichier_consent' => ['partners' => '1'], 'fichier_notice' => $NOTICES]);
same($r['status'], 200, 'the checkout with one box ticked goes through');
$order = json_decode($r['body'], true);
$rid = 'wc-' . ($order['order'] ?? '?') . '-partners';
same($order['meta']['_fichier_consent_receipts'] ?? null, [$rid], 'the order keeps the receipt ids');
same($order['notes'] ?? null, [], 'no order note (no failure)');
[$st, $hist] = api($KEY, 'POST', '/v1/consent/history', ['subject' => ['tag' => 'email', 'val' => $buyer]]);
same(array_map(fn ($h) => [$h['id'], $h['purpose'], $h['decision'], $h['channel'], $h['notice']['reference'] ?? null, $h['ip-truncated'], $h['at']], $hist ?? []),
    [[$rid, 'partners', 'grant', 'checkout', $NOTICES['partners'], '127.0.0.0', '2026-03-01T10:00:00.000Z']], 'exactly the ticked box is recorded, as a grant citing its notice');
[$st, $status] = api($KEY, 'POST', '/v1/consent/status', ['subject' => ['tag' => 'email', 'val' => $buyer]]);
same(array_column($status['purposes'] ?? [], 'state', 'purpose'), ['accounting' => 'never-asked', 'newsletter' => 'never-asked', 'partners' => 'given'], 'the unticked box recorded nothing');
// The same order posted again (a retry) records nothing twice.
$again = $shopper->post('/?fichier-wc-standin=checkout', ['woocommerce-process-checkout-nonce' => $coNonce, 'billing_email' => $buyer, 'fichier_consent' => ['newsletter' => '1'], 'fichier_notice' => $NOTICES]);
same($again['status'], 200, 'a second checkout with the other box goes through');
[$st, $hist] = api($KEY, 'POST', '/v1/consent/history', ['subject' => ['tag' => 'email', 'val' => $buyer]]);
same(array_column($hist ?? [], 'purpose'), ['partners', 'newsletter'], 'the second checkout added exactly its one receipt');
// An order of a customer fichier's file holds is their last contact (retention counts from it).
[$st, $before] = api($KEY, 'POST', '/v1/customers/get', ['subject' => ['tag' => 'email', 'val' => $EMAIL]]);
same([$st, $before['last-contact-at'] ?? null], [200, null], 'the seeded customer has no contact yet');
$r = $shopper->post('/?fichier-wc-standin=checkout', ['woocommerce-process-checkout-nonce' => $coNonce, 'billing_email' => $EMAIL, 'fichier_notice' => $NOTICES]);
same([$r['status'], json_decode($r['body'], true)['notes'] ?? null], [200, []], 'the customer\'s checkout goes through with no note');
[$st, $after] = api($KEY, 'POST', '/v1/customers/get', ['subject' => ['tag' => 'email', 'val' => $EMAIL]]);
same($after['last-contact-at'] ?? null, '2026-03-01T10:00:00.000Z', 'the order is the customer\'s last contact');
// The block-based checkout's orders are contacts too.
[$st, $before] = api($KEY, 'POST', '/v1/customers/get', ['subject' => ['tag' => 'email', 'val' => $BLOCK_BUYER]]);
same([$st, $before['last-contact-at'] ?? null], [200, null], 'the block checkout\'s buyer has no contact yet');
$r = $shopper->post('/?fichier-wc-standin=block-checkout', ['billing_email' => $BLOCK_BUYER]);
same([$r['status'], json_decode($r['body'], true)['notes'] ?? null], [200, []], 'the block checkout goes through with no note');
[$st, $after] = api($KEY, 'POST', '/v1/customers/get', ['subject' => ['tag' => 'email', 'val' => $BLOCK_BUYER]]);
same($after['last-contact-at'] ?? null, '2026-03-01T10:00:00.000Z', 'a block checkout\'s order is the customer\'s last contact');
// A login is its own event: the account's inactivity runs from it (CNIL 2021-131), nothing else.
[$st, $before] = api($KEY, 'POST', '/v1/customers/get', ['subject' => ['tag' => 'email', 'val' => $EMAIL]]);
same([$st, $before['last-login-at'] ?? null], [200, null], 'the customer has not logged in yet');
(new Browser($BASE))->login(strstr($EMAIL, '@', true), $PASSWORD);
[$st, $after] = api($KEY, 'POST', '/v1/customers/get', ['subject' => ['tag' => 'email', 'val' => $EMAIL]]);
same([$after['last-login-at'] ?? null, $after['last-contact-at'] ?? null], ['2026-03-01T10:00:00.000Z', $before['last-contact-at'] ?? 'none'], 'logging in to WordPress records the login, and only the login');

// --- In-process, on the site's database: two PHP servers of the site and a second WordPress
//     front end (its own docroot and wp-config.php, the same database and prefix) at once.
if ($MODE === 'in-process') {
    section('two PHP servers and a second front end on one database');
    $B = (string) getenv('FICHIER_WP_BASE_B');
    $C = (string) getenv('FICHIER_WP_BASE_C');
    // The second front end sees the same file: its settings page counts the same purposes.
    $adminC = new Browser($C);
    $adminC->login('admin', $PASSWORD);
    $pageC = $adminC->get('/wp-admin/options-general.php?page=fichier')['body'];
    check(str_contains($pageC, 'fichier answers (in-process): 3 purpose(s) declared.'), 'the second front end answers from the same file', preg_match('/<div class="notice[^>]*>.*?<\/div>/s', $pageC, $m) ? $m[0] : '(no status)', 'fichier answers (in-process): 3 purpose(s) declared.');
    // A checkout through the second front end, read through the first one's Tools → Export.
    $shopperC = new Browser($C);
    $coC = $shopperC->get('/?fichier-wc-standin=checkout');
    $both = 'two-fronts@example.org';
    $r = $shopperC->post('/?fichier-wc-standin=checkout', ['woocommerce-process-checkout-nonce' => input_value($coC['body'], 'woocommerce-process-checkout-nonce'), 'billing_email' => $both, 'fichier_consent' => ['partners' => '1'], 'fichier_notice' => $NOTICES]);
    $order = json_decode($r['body'], true);
    $ridC = 'wc-' . ($order['order'] ?? '?') . '-partners';
    same([$r['status'], $order['meta']['_fichier_consent_receipts'] ?? null], [200, [$ridC]], 'a checkout through the second front end records its receipt');
    $values = [];
    foreach (wp_export_items($admin, $both) as $it) {
        array_push($values, ...array_column($it['data'], 'value'));
    }
    check(in_array($ridC, $values, true), 'the first front end\'s Tools → Export shows the receipt the second one recorded', $values, $ridC);
    // Banner receipts posted at once to the site's two servers and the second front end, all
    // for one visitor (every one of them writes that visitor's history): none is lost.
    $n = 12;
    $child = <<<'PHP'
[, $base, $origin, $name, $n] = $argv;
$out = [];
for ($i = 0; $i < (int) $n; $i++) {
    $receipt = ['subject' => ['tag' => 'external', 'val' => 'v-concurrent'], 'purpose' => 'partners', 'decision' => 'refuse', 'given-by' => 'subject', 'channel' => 'cookie-banner', 'notice' => null, 'at' => null, 'receipt-id' => "$name-$i", 'client-ip' => null, 'user-agent' => null, 'gpc' => false, 'age' => null];
    $ctx = stream_context_create(['http' => ['method' => 'POST', 'header' => "Content-Type: application/json\r\nOrigin: $origin", 'content' => json_encode($receipt), 'ignore_errors' => true, 'timeout' => 60, 'protocol_version' => 1.0]]);
    $t0 = microtime(true);
    $body = @file_get_contents("$base/v1/consent/receipts", false, $ctx);
    $status = preg_match('#^HTTP/\S+ (\d{3})#', $http_response_header[0] ?? '', $m) ? (int) $m[1] : 0;
    $out[] = [$status, $t0, microtime(true), $status === 200 ? '' : substr((string) $body, 0, 300)];
}
echo json_encode($out);
PHP;
    $runs = [];
    foreach (['a' => [$BASE, $BASE], 'b' => [$B, $BASE], 'c' => [$C, $C]] as $name => [$base, $origin]) {
        $runs[$name] = proc_open([PHP_BINARY, '-r', $child, $base, $origin, $name, (string) $n], [1 => ['pipe', 'w']], $pipes);
        $runs[$name] = [$runs[$name], $pipes[1]];
    }
    $got = [];
    foreach ($runs as $name => [$proc, $out]) {
        $got[$name] = json_decode((string) stream_get_contents($out), true) ?? [];
        fclose($out);
        proc_close($proc);
    }
    foreach ($got as $name => $calls) {
        same(array_values(array_unique(array_column($calls, 0))), [200], "every receipt posted to server $name is recorded", array_values(array_filter(array_column($calls, 3))));
    }
    $overlap = static function (array $x, array $y): bool {
        foreach ($x as $p) {
            foreach ($y as $q) {
                if ($p[1] < $q[2] && $q[1] < $p[2]) {
                    return true;
                }
            }
        }
        return false;
    };
    check($overlap($got['a'] ?? [], $got['b'] ?? []) && $overlap($got['a'] ?? [], $got['c'] ?? []) && $overlap($got['b'] ?? [], $got['c'] ?? []), 'the three servers served at the same time (their requests overlapped)');
    $want = [];
    foreach (['a', 'b', 'c'] as $name) {
        for ($i = 0; $i < $n; $i++) {
            $want[] = "$name-$i";
        }
    }
    [$st, $hist] = api($KEY, 'POST', '/v1/consent/history', ['subject' => ['tag' => 'external', 'val' => 'v-concurrent']]);
    $ids = array_column($hist ?? [], 'id');
    sort($ids);
    sort($want);
    same([$st, $ids], [200, $want], 'the visitor\'s history holds every receipt of the three servers, once');
}

// --- 1. Export: Tools → Export Personal Data, the admin-ajax action WordPress' page uses.
section('export (admin-ajax wp-privacy-export-personal-data)');
$want = fichier_export($KEY, $EMAIL);
$req = make_request($admin, 'export', $EMAIL);
$items = [];
$pages = 0;
$zip = null;
for ($exporter = 1; $exporter <= $req['count']; $exporter++) {
    for ($pg = 1; $pg <= 100; $pg++) {
        $r = $admin->post('/wp-admin/admin-ajax.php', ['action' => 'wp-privacy-export-personal-data', 'exporter' => $exporter, 'id' => $req['id'], 'page' => $pg, 'security' => $req['nonce'], 'sendAsEmail' => 'false']);
        $j = json_decode($r['body'], true);
        if (!is_array($j) || ($j['success'] ?? false) !== true) {
            check(false, "export exporter $exporter page $pg answers success", $r['body'], '{"success":true,…}');
            break 2;
        }
        $ours = array_values(array_filter($j['data']['data'], fn ($it) => str_starts_with($it['group_id'], 'fichier-')));
        if ($ours !== []) {
            $pages++;
            check(count($ours) <= 4, 'a page holds at most the page size', count($ours), '<= 4');
        }
        array_push($items, ...$ours);
        $zip = $j['data']['url'] ?? $zip;
        if ($j['data']['done']) {
            break;
        }
    }
}
check($pages >= 3, 'fichier\'s export came in several pages', $pages, '>= 3');
$got = array_map(fn ($it) => [$it['group_id'], array_column($it['data'], 'value', 'name')], $items);
same($got, $want, 'the pages together are fichier\'s export for the person, row by row');
$values = array_merge(...array_map(fn ($g) => array_values($g[1]), $got ?: [['', []]]));
foreach (['Ada', 'Lovelace', 'LYON', 'seed-1', $NOTICES['newsletter']] as $v) {
    check(in_array($v, $values, true), "the export holds $v", null, $v);
}
if ($zip !== null) {
    $file = $admin->get($zip);
    $tmp = tempnam(sys_get_temp_dir(), 'wpx');
    file_put_contents($tmp, $file['body']);
    $za = new ZipArchive();
    if ($za->open($tmp) === true) {
        $json = '';
        for ($i = 0; $i < $za->numFiles; $i++) {
            if (str_ends_with($za->getNameIndex($i), '.json')) {
                $json = (string) $za->getFromIndex($i);
            }
        }
        $za->close();
        check(str_contains($json, 'Customer file: stored data') && str_contains($json, 'Lovelace'), 'WordPress\' export file holds fichier\'s groups', substr($json, 0, 300), 'Customer file: stored data … Lovelace');
    } else {
        check(false, 'WordPress\' export file opens as a zip');
    }
    unlink($tmp);
} else {
    check(false, 'WordPress made its export file', null, 'a url on the last page');
}

// --- 2. Erasure: Tools → Erase Personal Data, admin-ajax wp-privacy-erase-personal-data.
section('erasure (admin-ajax wp-privacy-erase-personal-data)');
$req = make_request($admin, 'erase', $EMAIL);
$ours = null;
for ($eraser = 1; $eraser <= $req['count']; $eraser++) {
    $r = $admin->post('/wp-admin/admin-ajax.php', ['action' => 'wp-privacy-erase-personal-data', 'eraser' => $eraser, 'id' => $req['id'], 'page' => 1, 'security' => $req['nonce']]);
    $j = json_decode($r['body'], true);
    if (!is_array($j) || ($j['success'] ?? false) !== true) {
        check(false, "eraser $eraser answers success", $r['body'], '{"success":true,…}');
        continue;
    }
    foreach ($j['data']['messages'] as $m) {
        if (str_starts_with($m, 'fichier')) {
            $ours = $j['data'];
        }
    }
}
check($ours !== null, 'fichier\'s eraser answered through WordPress');
if ($ours !== null) {
    same([$ours['items_removed'], $ours['items_retained'], $ours['done']], [true, true, true], 'items_removed, items_retained, done');
    $msgs = implode("\n", $ours['messages']);
    foreach ([
        'fichier erased 2 field(s) [email, phone], 1 consent receipt(s)',
        'fichier keeps city (postal-address) apart until 2036-03-01T22:59:59.999Z under a legal hold of accounting: Code de commerce, article L123-22',
        'fichier keeps family-name (identity) apart until 2036-03-01T22:59:59.999Z',
        'fichier keeps given-name (identity) apart until 2036-03-01T22:59:59.999Z',
    ] as $want) {
        check(str_contains($msgs, $want), 'the messages carry the erasure report', $msgs, $want);
    }
}
[$st, $p] = api($KEY, 'POST', '/v1/customers/get', ['subject' => ['tag' => 'email', 'val' => $EMAIL]]);
same([$st, $p['rule'] ?? null], [404, 'customer-exists'], 'the customer is gone from fichier');
[$st, $arch] = api($KEY, 'POST', '/v1/customers/archived', ['subject' => ['tag' => 'email', 'val' => $EMAIL]]);
same(array_map(fn ($a) => [$a['field']['name'], $a['activity'], $a['until']], $arch ?? []), [['city', 'accounting', '2036-03-01T22:59:59.999Z'], ['family-name', 'accounting', '2036-03-01T22:59:59.999Z'], ['given-name', 'accounting', '2036-03-01T22:59:59.999Z']], 'what the hold keeps is apart, until the hold ends');
[$st, $again] = api($KEY, 'POST', '/v1/subjects/erase', ['subject' => ['tag' => 'email', 'val' => $EMAIL], 'options' => new stdClass()]);
same($again['already-erased'] ?? null, '2026-03-01T10:00:00.000Z', 'fichier says the person was erased');

// A WordPress user fichier knows nothing of: nothing exported, nothing erased, and said so.
section('a person fichier does not know');
$UNKNOWN = $MODE === 'http' ? 'dan@example.org' : 'sam@example.org';
$req = make_request($admin, 'export', $UNKNOWN);
$seen = [];
for ($exporter = 1; $exporter <= $req['count']; $exporter++) {
    $r = $admin->post('/wp-admin/admin-ajax.php', ['action' => 'wp-privacy-export-personal-data', 'exporter' => $exporter, 'id' => $req['id'], 'page' => 1, 'security' => $req['nonce'], 'sendAsEmail' => 'false']);
    $j = json_decode($r['body'], true);
    check(($j['success'] ?? false) === true, "exporter $exporter answers for a person fichier does not know", $r['body'], 'success');
    foreach ($j['data']['data'] ?? [] as $it) {
        $seen[] = $it['group_id'];
    }
}
same(array_values(array_filter($seen, fn ($g) => str_starts_with($g, 'fichier-'))), [], 'no fichier group for a person fichier does not know');
$req = make_request($admin, 'erase', $UNKNOWN);
$ours = null;
for ($eraser = 1; $eraser <= $req['count']; $eraser++) {
    $j = json_decode($admin->post('/wp-admin/admin-ajax.php', ['action' => 'wp-privacy-erase-personal-data', 'eraser' => $eraser, 'id' => $req['id'], 'page' => 1, 'security' => $req['nonce']])['body'], true);
    if (in_array('fichier: nothing is stored for this person.', $j['data']['messages'] ?? [], true)) {
        $ours = $j['data'];
    }
}
same([$ours['items_removed'] ?? null, $ours['items_retained'] ?? null], [false, false], 'erasing a person fichier does not know removes and keeps nothing, and says so');

// --- Page caches and the WP Consent API (its test double: test/plugins/wp-consent-api).
//     The banner's purposes (the banner asks only about cookie and advertising purposes), then
//     the page as two visitors get it: one who never chose, one who chose (fichier's cookie and
//     the API's). test/browser.mjs (run after this pass, in-process) does the rest in Chromium.
section('page caches and the WP Consent API');
seed($KEY, '/v1/purposes', ['id' => 'audience', 'kind' => 'cookie', 'title' => 'Audience measurement', 'validity-months' => null]);
seed($KEY, '/v1/purposes', ['id' => 'ads', 'kind' => 'advertising', 'title' => 'Personalised advertising', 'validity-months' => null]);
$bannerNotice = seed($KEY, '/v1/notices', ['purposes' => ['ads', 'audience'], 'lang' => 'en', 'text' => "Cookies: we measure the shop's audience and, with your consent, show you advertising based on your visits."])['reference'];
$never = new Browser($BASE);
$chose = new Browser($BASE);
$chose->cookies = [
    'fichier_consent' => rawurlencode(json_encode(['v' => 'v-' . str_repeat('5a', 16), 'n' => $bannerNotice, 't' => 1772359200000, 'g' => ['audience'], 'r' => ['ads']])),
    'wp_consent_functional' => 'allow', 'wp_consent_statistics' => 'allow', 'wp_consent_statistics-anonymous' => 'allow', 'wp_consent_preferences' => 'allow', 'wp_consent_marketing' => 'deny',
];
$pageNever = $never->get('/');
$pageChose = $chose->get('/');
same([$pageNever['status'], $pageChose['status']], [200, 200], 'the front page answers both visitors');
same($pageChose['body'], $pageNever['body'], 'the page is byte for byte the same for a visitor who chose and one who never did');
same([$pageNever['headers']['set-cookie'] ?? [], $pageChose['headers']['set-cookie'] ?? []], [[], []], 'the page sets no cookie');
check(!preg_match('/nonce|5a5a5a5a/i', $pageNever['body']), 'the page carries no nonce and no visitor id', preg_match('/.{0,80}(nonce|5a5a5a5a).{0,80}/i', $pageNever['body'], $m) ? $m[0] : null, 'neither');
// The bridge: after the API's script, with the map (the default one).
$mapOf = static function (string $html): mixed {
    return preg_match('/window\.fichierWpConsent = (\{.*?\});/', $html, $m) ? json_decode($m[1], true) : null;
};
$pos = static fn (string $html, string $id) => preg_match('/<script[^>]*id=[\'"]' . preg_quote($id, '/') . '[\'"][^>]*>/', $html, $m, PREG_OFFSET_CAPTURE) ? $m[0][1] : -1;
$wantMap = ['type' => 'optin', 'categories' => ['functional', 'preferences', 'statistics', 'statistics-anonymous', 'marketing'], 'always' => ['functional'], 'kinds' => ['advertising' => ['marketing'], 'cookie' => ['statistics', 'statistics-anonymous', 'preferences']], 'purposes' => []];
same($mapOf($pageNever['body']), $wantMap, 'the page carries the map of fichier\'s purposes to the API\'s categories');
check($pos($pageNever['body'], 'wp-consent-api-js') >= 0 && $pos($pageNever['body'], 'fichier-wp-consent-js') > $pos($pageNever['body'], 'wp-consent-api-js') && $pos($pageNever['body'], 'fichier-banner-js') < $pos($pageNever['body'], 'wp-consent-api-js'), 'the banner is in the head, the bridge after the API\'s script', [$pos($pageNever['body'], 'fichier-banner-js'), $pos($pageNever['body'], 'wp-consent-api-js'), $pos($pageNever['body'], 'fichier-wp-consent-js')], 'banner < API < bridge');
$bridge = (new Browser($BASE))->get('/wp-content/plugins/fichier/assets/wp-consent.js');
check($bridge['status'] === 200 && str_contains($bridge['body'], 'wp_set_consent'), 'the bridge script is served', $bridge['status'], 200);
// The filter: a purpose's own categories; a map that does not validate grants functional only.
$custom = ['always' => ['functional', 'statistics-anonymous'], 'kinds' => ['advertising' => ['marketing']], 'purposes' => ['audience' => ['statistics']]];
same($mapOf((new Browser($BASE))->get('/?fichier-test-map=' . rawurlencode(json_encode($custom)))['body']), ['type' => 'optin', 'categories' => $wantMap['categories']] + $custom, 'filter fichier_wp_consent_map sets the map');
foreach ([
    'an unknown category' => ['always' => ['functional'], 'kinds' => ['cookie' => ['analytics']]],
    'an unknown kind' => ['kinds' => ['tracking' => ['statistics']]],
    'a malformed purpose id' => ['purposes' => ['Bad Id' => ['statistics']]],
    'an unknown key' => ['always' => ['functional'], 'extra' => []],
] as $what => $bad) {
    same($mapOf((new Browser($BASE))->get('/?fichier-test-map=' . rawurlencode(json_encode($bad)))['body']), ['type' => 'optin', 'categories' => $wantMap['categories'], 'always' => ['functional'], 'kinds' => [], 'purposes' => []], "a map with $what allows functional only");
}
// A site whose API has fewer categories: the default map names only those.
same($mapOf((new Browser($BASE))->get('/?fichier-test-categories=functional,statistics,marketing')['body']), ['type' => 'optin', 'categories' => ['functional', 'statistics', 'marketing'], 'always' => ['functional'], 'kinds' => ['advertising' => ['marketing'], 'cookie' => ['statistics']], 'purposes' => []], 'the default map follows the API\'s filtered categories');
// Server-side, what other plugins read: fichier is registered, the type is opt-in, the banner's
// cookie is declared, and wp_has_consent follows the API's cookies the bridge writes.
$api = json_decode($chose->get('/?fichier-test=consent-api')['body'], true);
same([$api['type'] ?? null, $api['registered'] ?? null], ['optin', true], 'the API knows fichier as registered, and the consent type is optin');
same([$api['cookie']['category'] ?? null, $api['cookie']['plugin_or_service'] ?? null], ['functional', 'fichier'], 'the banner\'s cookie is declared to the API, functional');
same($api['has'] ?? null, ['functional' => true, 'preferences' => true, 'statistics' => true, 'statistics-anonymous' => true, 'marketing' => false], 'PHP\'s wp_has_consent reads the visitor\'s choice');
same(json_decode($never->get('/?fichier-test=consent-api')['body'], true)['has'] ?? null, array_fill_keys($wantMap['categories'], false), 'before any choice, PHP\'s wp_has_consent allows nothing (opt-in)');

// --- Consent across devices (CNIL délibération 2025-131): a logged-in customer's page carries
//     the reference fichier minted for them (never their e-mail), which opens their banner
//     choice; a logged-out page carries none, the same for everyone.
section('consent across devices');
check(!str_contains($pageNever['body'], 'data-customer'), 'a logged-out page carries no customer reference');
$carol = new Browser($BASE);
$carol->login('carol', $PASSWORD);
$carolPage = $carol->get('/')['body'];
$ref = preg_match('#<script[^>]*data-customer="([A-Za-z0-9_-]{55})"[^>]*src=[\'"][^\'"]*banner\.js#', $carolPage, $m) ? $m[1] : null;
check($ref !== null, "a logged-in customer's page carries their reference on the banner's tag", preg_match('#<script[^>]*banner[^>]*>#', $carolPage, $mm) ? $mm[0] : null, 'data-customer="<55 characters>"');
check(!str_contains($carolPage, 'carol@example.org'), "the customer's e-mail is not in the page");
$carolAgain = $carol->get('/')['body'];
$answer = api($KEY, 'POST', '/v1/banner/choice', ['customer' => (string) $ref, 'lang' => 'en', 'signals' => null]);
same($answer, [200, null], 'the reference opens the customer\'s choice (none yet: the banner asks)');
$device = ['subject' => ['tag' => 'external', 'val' => 'v-' . str_repeat('c0', 16)], 'given-by' => 'subject', 'channel' => 'cookie-banner', 'notice' => $bannerNotice, 'gpc' => false];
foreach (['ads', 'audience'] as $p) {
    [$st] = api($KEY, 'POST', '/v1/consent/receipts', $device + ['purpose' => $p, 'decision' => 'refuse', 'customer' => (string) $ref]);
    same($st, 200, "a refusal of $p on one device is recorded for the customer");
}
$mine = api($KEY, 'POST', '/v1/banner/choice', ['customer' => preg_match('#data-customer="([A-Za-z0-9_-]{55})"#', $carolAgain, $m2) ? $m2[1] : '', 'lang' => 'en', 'signals' => null]);
same([$mine[0], $mine[1]['refused'] ?? null, $mine[1]['granted'] ?? null], [200, ['ads', 'audience'], []], 'the next page\'s reference reads the refusal in force');
$history = api($KEY, 'POST', '/v1/consent/history', ['subject' => Fichier_test_by_email('carol@example.org')]);
same(array_column($history[1] ?? [], 'banner'), ['v-' . str_repeat('c0', 16), 'v-' . str_repeat('c0', 16)], 'the receipts are the customer\'s (her e-mail), each naming the device');
same(api($KEY, 'POST', '/v1/banner/choice', ['customer' => strrev((string) $ref), 'lang' => 'en', 'signals' => null])[0], 422, 'an altered reference opens nothing');

echo "[$MODE] $checks checks, $failures failed\n";
exit($failures === 0 ? 0 : 1);

// ---------------------------------------------------------------------------------------

function Fichier_test_by_email(string $email): array
{
    return ['tag' => 'email', 'val' => $email];
}

function esc(string $s): string
{
    return htmlspecialchars($s, ENT_QUOTES | ENT_HTML5, 'UTF-8', false);
}

/** The settings form's values: name => value (checked radios and boxes, inputs, selected options). */
function form_values(string $html): array
{
    $out = [];
    preg_match_all('/<input[^>]*name="(fichier_settings\[[a-z_]+\])"[^>]*>/', $html, $m, PREG_SET_ORDER);
    foreach ($m as [$tag, $name]) {
        $type = attr($tag, 'type');
        if (($type === 'radio' || $type === 'checkbox') && !str_contains($tag, 'checked')) {
            continue;
        }
        $out[$name] = attr($tag, 'value');
    }
    if (preg_match('/<select[^>]*name="fichier_settings\[lang\]".*?<\/select>/s', $html, $s) && preg_match("/<option value=\"([a-z]+)\"\\s+selected='selected'/", $s[0], $o)) {
        $out['fichier_settings[lang]'] = $o[1];
    }
    ksort($out);
    return $out;
}

/** fichier's own export, as the exporter's items should carry it: [group, [column => value]] per row. */
function fichier_export(string $key, string $email): array
{
    [$st, $e] = api($key, 'POST', '/v1/subjects/export', ['subject' => ['tag' => 'email', 'val' => $email], 'scope' => 'access', 'format' => 'json', 'lang' => 'en']);
    if ($st !== 200) {
        check(false, 'fichier exports the person', $st, 200);
        return [];
    }
    $doc = json_decode($e['content'], true);
    $out = [];
    foreach ($doc['sections'] as $s) {
        foreach ($s['rows'] as $row) {
            $out[] = ['fichier-' . $s['section'], array_map('strval', $row)];
        }
    }
    return $out;
}

/** Tools → Export Personal Data for `$email`, every exporter's every page: fichier's items. */
function wp_export_items(Browser $admin, string $email): array
{
    $req = make_request($admin, 'export', $email);
    $items = [];
    for ($exporter = 1; $exporter <= $req['count']; $exporter++) {
        for ($pg = 1; $pg <= 100; $pg++) {
            $j = json_decode($admin->post('/wp-admin/admin-ajax.php', ['action' => 'wp-privacy-export-personal-data', 'exporter' => $exporter, 'id' => $req['id'], 'page' => $pg, 'security' => $req['nonce'], 'sendAsEmail' => 'false'])['body'], true);
            if (($j['success'] ?? false) !== true) {
                check(false, "export of $email: exporter $exporter page $pg answers success", $j, '{"success":true,…}');
                return $items;
            }
            array_push($items, ...array_filter($j['data']['data'], fn ($it) => str_starts_with($it['group_id'], 'fichier-')));
            if ($j['data']['done']) {
                break;
            }
        }
    }
    return $items;
}

/** A confirmed request through the admin form; its id, nonce and exporter/eraser count from the list. */
function make_request(Browser $admin, string $kind, string $email): array
{
    $page = $kind === 'export' ? '/wp-admin/export-personal-data.php' : '/wp-admin/erase-personal-data.php';
    $html = $admin->get($page)['body'];
    $nonce = input_value($html, '_wpnonce');
    $r = $admin->follow($admin->post($page, [
        'action' => $kind === 'export' ? 'add_export_personal_data_request' : 'add_remove_personal_data_request',
        'type_of_action' => $kind === 'export' ? 'export_personal_data' : 'remove_personal_data',
        'username_or_email_for_privacy_request' => $email, '_wpnonce' => $nonce, '_wp_http_referer' => $page,
    ]));
    check(str_contains($r['body'], 'Request added successfully.'), "WordPress adds the $kind request", preg_match('/<div[^>]*notice[^>]*>.*?<\/div>/s', $r['body'], $mm) ? $mm[0] : substr($r['body'], 0, 300), 'Request added successfully.');
    // The row of this person's newest request (the list holds earlier ones too).
    $cls = $kind === 'export' ? 'export-personal-data' : 'remove-personal-data';
    $tag = '';
    foreach ([$r['body'], $admin->get($page)['body']] as $html) {
        foreach (explode('<tr', $html) as $row) {
            if (str_contains($row, esc($email)) && preg_match('/<div class="' . $cls . '[^"]*"[^>]*>/', $row, $m)
                && (int) attr($m[0], 'data-request-id') > (int) attr($tag, 'data-request-id')) {
                $tag = $m[0];
            }
        }
        if ($tag !== '') {
            break;
        }
    }
    $req = ['id' => (int) attr($tag, 'data-request-id'), 'nonce' => (string) attr($tag, 'data-nonce'), 'count' => (int) attr($tag, $kind === 'export' ? 'data-exporters-count' : 'data-erasers-count')];
    check($req['id'] > 0 && $req['nonce'] !== '' && $req['count'] > 0, "the $kind request is listed with its nonce", $tag, 'data-request-id, data-nonce, count');
    return $req;
}
