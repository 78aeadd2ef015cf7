<?php
// One open of an in-process handle, as one PHP request pays it: load the client, bind the
// library through FFI, open a handle (the component from the compiled cache, a store), answer
// one request. Prints one JSON line of microsecond timings. Run by bench.php in a fresh
// `php` process per sample; arguments: <cache_dir> [<db path or :memory:> [scope]]; with
// `scope`, the library is the one ffi.preload bound (Fichier\Preload), not FFI::cdef's.
declare(strict_types=1);

$t0 = hrtime(true);
require dirname(__DIR__) . '/src/autoload.php';
$cache = $argv[1] ?? '';
$db = $argv[2] ?? ':memory:';
$bind = ($argv[3] ?? '') === 'scope' ? ['ffi_scope' => 'fichier'] : [];
$t1 = hrtime(true);
$client = Fichier\Client::fromConfig($bind + [
    'transport' => 'in-process',
    'db' => $db,
    'master_key' => '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    'clock' => '2026-03-01T10:00:00Z',
    'cache_dir' => $cache === '' ? false : $cache,
]);
$t2 = hrtime(true);
$r = $client->get('/v1/purposes');
$t3 = hrtime(true);
if ($r->status !== 200) {
    fwrite(STDERR, "GET /v1/purposes: {$r->status}\n");
    exit(1);
}
$client->close();
$t4 = hrtime(true);
echo json_encode([
    'autoload_us' => ($t1 - $t0) / 1e3,
    'open_us' => ($t2 - $t1) / 1e3,
    'first_request_us' => ($t3 - $t2) / 1e3,
    'close_us' => ($t4 - $t3) / 1e3,
]), "\n";
