<?php
// The PHP client's costs, in-process through FFI (run by hand; prints a table, then one JSON line):
//   php -d ffi.enable=1 bench/bench.php            (after cargo build -p fichier-php)
//   BENCH_N=2000 BENCH_WARMUP=200 BENCH_OPENS=20   (the defaults)
// Definitions as the Node and Rust benches: an in-memory store, the clock pinned at
// 2026-03-01T10:00:00Z, a purpose `newsletter` (kind marketing) declared and a notice
// registered first; every call gets a fresh instance (the host's design).
//  1. invoke consent.list-purposes   (Client::invoke: PHP json_encode/decode + FFI + the call)
//     and the same through invokeJson (JSON text in and out: the FFI and the call alone)
//  2. invoke consent.record-decision (a grant for a new subject each time: seal + writes)
//  3. GET /v1/purposes in-process, over the component's HTTP handler (public, as the banner)
//  4. opening a handle, each in a fresh `php` process (bench/open.php), as a PHP-FPM request
//     pays it (PHP keeps no object across requests): cold (empty cache directory: compiles
//     the component) once, warm (the compiled component cached) BENCH_OPENS times, and warm
//     again with the library bound at startup by ffi.preload (what a tuned PHP-FPM pays).
declare(strict_types=1);

require dirname(__DIR__) . '/src/autoload.php';

use Fichier\Client;

$n = (int) (getenv('BENCH_N') ?: 2000);
$warm = (int) (getenv('BENCH_WARMUP') ?: 200);
$opens = (int) (getenv('BENCH_OPENS') ?: 20);
$key = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
$now = '2026-03-01T10:00:00Z';
$repo = dirname(__DIR__, 3);
$lib = getenv('FICHIER_PHP_LIB') ?: "$repo/target/debug/libfichier_php.so";
$cache = getenv('FICHIER_CACHE_DIR') ?: "$repo/target/fichier-cwasm";

/** @param callable(int): void $f @return array{median: float, mean: float} */
function measure(int $warm, int $n, callable $f): array
{
    for ($i = 0; $i < $warm; $i++) {
        $f($i);
    }
    $t = [];
    for ($i = 0; $i < $n; $i++) {
        $s = hrtime(true);
        $f($warm + $i);
        $t[] = (hrtime(true) - $s) / 1e3;
    }
    return ['median' => median($t), 'mean' => array_sum($t) / count($t)];
}

/** @param list<float> $xs */
function median(array $xs): float
{
    sort($xs);
    $c = count($xs);
    return $c % 2 ? $xs[intdiv($c, 2)] : ($xs[$c / 2 - 1] + $xs[$c / 2]) / 2;
}

// The clock is pinned, so the public routes' per-minute limit would never turn over.
$c = Client::fromConfig(['transport' => 'in-process', 'db' => ':memory:', 'library' => $lib, 'master_key' => $key,
    'clock' => $now, 'cache_dir' => $cache, 'settings' => ['public_rate_per_minute' => '100000']]);
$admin = ['id' => 'bench', 'role' => 'admin'];
$ok = $c->invoke('consent', 'declare-purpose', [$admin, ['id' => 'newsletter', 'kind' => 'marketing', 'title' => 'Lettre', 'validity-months' => null]]);
$ok2 = $c->invoke('consent', 'register-notice', [$admin, ['purposes' => ['newsletter'], 'lang' => 'fr', 'text' => 'Texte.']]);
if (!isset($ok['ok'], $ok2['ok'])) {
    fwrite(STDERR, "setup failed\n");
    exit(1);
}

$rows = [];
$rows['invoke consent.list-purposes'] = measure($warm, $n, fn () => $c->invoke('consent', 'list-purposes', [$admin]));
$adminJson = '[' . json_encode($admin) . ']';
$rows['invokeJson consent.list-purposes (no PHP JSON)'] = measure($warm, $n, fn () => $c->invokeJson('consent', 'list-purposes', $adminJson));
$run = bin2hex(random_bytes(4));
$rows['invoke consent.record-decision (grant)'] = measure($warm, $n, function (int $i) use ($c, $admin, $run) {
    $r = $c->invoke('consent', 'record-decision', [$admin, ['subject' => ['tag' => 'external', 'val' => "c-$run-$i"], 'purpose' => 'newsletter',
        'decision' => 'grant', 'given-by' => 'subject', 'channel' => 'web-form', 'notice' => 'newsletter:fr:v1', 'at' => null,
        'receipt-id' => null, 'client-ip' => null, 'user-agent' => null, 'gpc' => false, 'age' => null]]);
    if (!isset($r['ok'])) {
        throw new RuntimeException('record-decision failed');
    }
});
$rows['GET /v1/purposes (in-process HTTP handler)'] = measure($warm, $n, function () use ($c) {
    if ($c->request('GET', '/v1/purposes', [], null, '127.0.0.1:1')->status !== 200) {
        throw new RuntimeException('GET /v1/purposes failed');
    }
});
$c->close();

// Opening, each in a fresh php process.
$php = PHP_BINARY;
$script = __DIR__ . '/open.php';
$sample = function (string $cacheDir, ?string $preload = null) use ($php, $script, $lib): array {
    $cmd = escapeshellarg($php) . ' -d ffi.enable=1 ' . escapeshellarg($script) . ' ' . escapeshellarg($cacheDir);
    if ($preload !== null) {
        $cmd = escapeshellarg($php) . ' -d ffi.enable=preload -d ffi.preload=' . escapeshellarg($preload) . ' '
            . escapeshellarg($script) . ' ' . escapeshellarg($cacheDir) . ' :memory: scope';
    }
    $s = hrtime(true);
    $out = shell_exec('FICHIER_PHP_LIB=' . escapeshellarg($lib) . " $cmd");
    $wall = (hrtime(true) - $s) / 1e3;
    $v = json_decode((string) $out, true);
    if (!is_array($v)) {
        throw new RuntimeException("open.php failed: $out");
    }
    return $v + ['process_us' => $wall];
};
$empty = sys_get_temp_dir() . '/fichier-bench-cache-' . bin2hex(random_bytes(4));
$cold = $sample($empty);
$warmOpens = [];
for ($i = 0; $i < $opens; $i++) {
    $warmOpens[] = $sample($empty);
}
$header = "$empty/fichier-ffi.h";
Fichier\Preload::writeHeader($header, $lib);
$preloaded = [];
for ($i = 0; $i < $opens; $i++) {
    $preloaded[] = $sample($empty, $header);
}
array_map('unlink', glob("$empty/*") ?: []);
@rmdir($empty);
$col = fn (string $k) => median(array_column($warmOpens, $k));
$pcol = fn (string $k) => median(array_column($preloaded, $k));

printf("fichier PHP bench: PHP %s, N=%d after %d warm-up, %d warm opens, %s\n", PHP_VERSION, $n, $warm, $opens, php_uname('m'));
printf("%-50s %12s %12s\n", '', 'median µs', 'mean µs');
foreach ($rows as $label => $r) {
    printf("%-50s %12.1f %12.1f\n", $label, $r['median'], $r['mean']);
}
printf("%-50s %12.0f\n", 'open, cold (empty cache: compiles)', $cold['open_us']);
printf("%-50s %12.0f\n", 'open, warm (cached component; median)', $col('open_us'));
printf("%-50s %12.0f\n", '  first request after a warm open (median)', $col('first_request_us'));
printf("%-50s %12.0f\n", '  loading the PHP client (autoload, median)', $col('autoload_us'));
printf("%-50s %12.0f\n", '  whole php process, warm (median)', $col('process_us'));
printf("%-50s %12.0f\n", 'open, warm, library bound by ffi.preload (median)', $pcol('open_us'));
echo json_encode([
    'host' => 'php',
    'bench' => 'fichier-php',
    'php' => PHP_VERSION,
    'n' => $n,
    'warmup' => $warm,
    'calls_us' => $rows,
    'open_cold_us' => $cold['open_us'],
    'open_warm_median_us' => $col('open_us'),
    'first_request_median_us' => $col('first_request_us'),
    'autoload_median_us' => $col('autoload_us'),
    'process_warm_median_us' => $col('process_us'),
    'open_warm_preloaded_median_us' => $pcol('open_us'),
    // The keys the Rust and Node benches use (scripts/bench-hosts compares them).
    'list-purposes/memory' => $rows['invoke consent.list-purposes'],
    'record-decision/memory' => $rows['invoke consent.record-decision (grant)'],
    'http-get-purposes/memory' => $rows['GET /v1/purposes (in-process HTTP handler)'],
    'open-cold' => $cold['open_us'],
    'open-warm' => $col('open_us'),
], JSON_UNESCAPED_UNICODE), "\n";
