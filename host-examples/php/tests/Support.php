<?php
declare(strict_types=1);

namespace Fichier\Tests;

use Fichier\Client;
use Fichier\FichierException;

/** What the tests share: paths, the fixed test key, clients, a `fichier serve` child. */
final class Support
{
    /** The fixed test master key (tests/src/lib.rs TEST_KEY; never a real deployment's). */
    public const TEST_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
    public const NOW = '2026-03-01T10:00:00Z';

    public static function repo(): string
    {
        return dirname(__DIR__, 3);
    }

    public static function library(): string
    {
        $l = getenv('FICHIER_PHP_LIB');
        return is_string($l) && $l !== '' ? $l : self::repo() . '/target/debug/libfichier_php.so';
    }

    public static function bin(): string
    {
        $b = getenv('FICHIER_BIN');
        return is_string($b) && $b !== '' ? $b : self::repo() . '/target/debug/fichier';
    }

    /** The precompiled-component cache the workspace's tests share. */
    public static function cacheDir(): string
    {
        return self::repo() . '/target/fichier-cwasm';
    }

    /** @param array<string, mixed> $more */
    public static function memory(string $clock = self::NOW, array $more = []): Client
    {
        return Client::fromConfig($more + [
            'transport' => 'in-process',
            'db' => ':memory:',
            'library' => self::library(),
            'master_key' => self::TEST_KEY,
            'clock' => $clock,
            'cache_dir' => self::cacheDir(),
        ]);
    }

    public static function tempDir(): string
    {
        $d = sys_get_temp_dir() . '/fichier-php-' . bin2hex(random_bytes(6));
        if (!mkdir($d, 0700)) {
            throw new \RuntimeException("cannot create $d");
        }
        return $d;
    }

    public static function removeDir(string $d): void
    {
        foreach (glob("$d/{,.}*", GLOB_BRACE) ?: [] as $f) {
            if (basename($f) !== '.' && basename($f) !== '..') {
                is_dir($f) ? self::removeDir($f) : unlink($f);
            }
        }
        @rmdir($d);
    }

    /** An admin API key's token, made through the library world as the CLI would. */
    public static function apiKey(Client $c, string $role = 'admin'): string
    {
        $r = $c->invoke('settings', 'create-api-key', [['id' => 'test-admin', 'role' => 'admin'], "$role key", $role]);
        if (!isset($r['ok'][1]) || !is_string($r['ok'][1])) {
            throw new \RuntimeException('create-api-key failed: ' . json_encode($r));
        }
        return $r['ok'][1];
    }
}

/** `fichier --db DB serve --addr 127.0.0.1:0` as a child process, its clock pinned. */
final class ServeProcess
{
    /** @var resource */
    private $proc;
    /** @var array<int, resource> */
    private array $pipes;
    public string $url;

    /** @param array<string, string> $env extra environment (e.g. FICHIER_CONFIG_*) */
    public function __construct(string $db, array $env = [])
    {
        $bin = Support::bin();
        if (!is_executable($bin)) {
            throw new \RuntimeException("no fichier binary at $bin (cargo build -p fichier-host)");
        }
        $environment = $env + [
            'FICHIER_PINNED_CLOCK' => Support::NOW,
            'FICHIER_MASTER_KEY' => Support::TEST_KEY,
            'FICHIER_CACHE_DIR' => Support::cacheDir(),
            'PATH' => (string) getenv('PATH'),
            'HOME' => (string) getenv('HOME'),
        ];
        $cmd = [$bin, '--db', $db, 'serve', '--addr', '127.0.0.1:0'];
        $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $environment);
        if (!is_resource($proc)) {
            throw new \RuntimeException('cannot start fichier serve');
        }
        $this->proc = $proc;
        $this->pipes = $pipes;
        // Its first line names the address: "fichier serving http://127.0.0.1:PORT/v1/ …".
        $deadline = microtime(true) + 120.0;
        $out = '';
        stream_set_blocking($pipes[1], false);
        while (microtime(true) < $deadline) {
            $read = [$pipes[1]];
            $w = $e = null;
            if (@stream_select($read, $w, $e, 1) > 0) {
                $chunk = fread($pipes[1], 8192);
                if ($chunk === false || ($chunk === '' && feof($pipes[1]))) {
                    break;
                }
                $out .= $chunk;
                if (preg_match('#http://(127\.0\.0\.1:\d+)/v1/#', $out, $m)) {
                    $this->url = 'http://' . $m[1];
                    return;
                }
            }
        }
        $err = stream_get_contents($pipes[2]);
        $this->stop();
        throw new \RuntimeException("fichier serve did not start: $out $err");
    }

    public function stop(): void
    {
        if (is_resource($this->proc)) {
            proc_terminate($this->proc, 15);
            foreach ($this->pipes as $p) {
                if (is_resource($p)) {
                    fclose($p);
                }
            }
            proc_close($this->proc);
        }
    }

    public function __destruct()
    {
        $this->stop();
    }
}

/** The conformance runner's matcher, placeholders and paths (tests/tests/conformance.rs). */
final class Conformance
{
    /** @param array<string, mixed> $saved */
    public static function substitute(mixed $v, array $saved): mixed
    {
        if (is_string($v)) {
            if (str_starts_with($v, '$actor:')) {
                return (object) ['id' => 'conformance', 'role' => substr($v, 7)];
            }
            if (str_starts_with($v, '$utf8:')) {
                return array_values(unpack('C*', substr($v, 6)) ?: []);
            }
            if (str_starts_with($v, '$ref:')) {
                $name = substr($v, 5);
                if (!array_key_exists($name, $saved)) {
                    throw new \RuntimeException("nothing saved as $name");
                }
                return $saved[$name];
            }
            return $v;
        }
        if (is_array($v)) {
            return array_map(fn ($x) => self::substitute($x, $saved), $v);
        }
        if ($v instanceof \stdClass) {
            $o = new \stdClass();
            foreach (get_object_vars($v) as $k => $x) {
                $o->{$k} = self::substitute($x, $saved);
            }
            return $o;
        }
        return $v;
    }

    /** null when `actual` matches the pattern `expected`; else the path and why. */
    public static function mismatch(string $path, mixed $expected, bool $present, mixed $actual): ?string
    {
        if ($expected === '$absent') {
            return !$present || $actual === null ? null : "$path: expected absent, found " . self::show($actual);
        }
        if (!$present) {
            return "$path: expected " . self::show($expected) . ', found nothing';
        }
        if ($expected === '$any') {
            return null;
        }
        if ($expected === '$hex64' && is_string($actual)) {
            return preg_match('/^[0-9a-f]{64}$/', $actual) ? null : "$path: expected 64 hex characters, found $actual";
        }
        if ($expected instanceof \stdClass && $actual instanceof \stdClass) {
            foreach (get_object_vars($expected) as $k => $ev) {
                $has = property_exists($actual, (string) $k);
                $m = self::mismatch("$path.$k", $ev, $has, $has ? $actual->{$k} : null);
                if ($m !== null) {
                    return $m;
                }
            }
            return null;
        }
        if (is_array($expected) && is_array($actual)) {
            if (count($expected) !== count($actual)) {
                return "$path: expected " . count($expected) . ' items, found ' . count($actual) . ': ' . self::show($actual);
            }
            foreach (array_values($expected) as $i => $ev) {
                $m = self::mismatch("{$path}[$i]", $ev, true, array_values($actual)[$i]);
                if ($m !== null) {
                    return $m;
                }
            }
            return null;
        }
        // As serde_json's equality: 1 and 1.0 differ, as do "1" and 1.
        if ($expected instanceof \stdClass || is_array($expected) || $expected !== $actual) {
            return "$path: expected " . self::show($expected) . ', found ' . self::show($actual);
        }
        return null;
    }

    public static function lookup(mixed $v, string $path): mixed
    {
        foreach (explode('.', $path) as $part) {
            if (ctype_digit($part) && is_array($v) && array_key_exists((int) $part, $v)) {
                $v = $v[(int) $part];
            } elseif ($v instanceof \stdClass && property_exists($v, $part)) {
                $v = $v->{$part};
            } else {
                throw new \RuntimeException("nothing at $path");
            }
        }
        return $v;
    }

    public static function show(mixed $v): string
    {
        return (string) json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
    }

    public static function encode(mixed $v): string
    {
        try {
            return json_encode($v, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
        } catch (\JsonException $e) {
            throw new FichierException('cannot encode', 'args', 'json', $e);
        }
    }
}
