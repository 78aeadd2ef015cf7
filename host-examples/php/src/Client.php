<?php
declare(strict_types=1);

namespace Fichier;

/**
 * The fichier REST API from PHP, in-process (the component in this process, through FFI) or
 * remote (`fichier serve`, Spin) — which one is configuration alone: the same requests give
 * the same answers.
 */
final class Client
{
    private const IN_PROCESS_KEYS = ['transport', 'db', 'keys_db', 'library', 'master_key', 'key_file', 'settings', 'clock', 'cache_dir', 'pooling', 'max_body', 'timeout_ms', 'ffi_scope'];
    private const HTTP_KEYS = ['transport', 'url', 'timeout'];

    private Transport $transport;

    private function __construct(Transport $transport)
    {
        $this->transport = $transport;
    }

    /**
     * @param array<string, mixed> $config
     *  ['transport' => 'in-process',
     *   'db' => '/path/fichier.db' (SQLite) | ':memory:'
     *      | a database server: 'mysql://user:pass@host:3306/name?prefix=wp_' (MariaDB/MySQL; a socket:
     *        'mysql://user:pass@localhost/name?socket=/run/mysqld/mysqld.sock'), 'postgres://…'; tables
     *        <prefix>fichier_data and <prefix>fichier_keys, created if absent; URL-encode user and password;
     *        several processes may serve one database at once; the master key is never stored there,
     *   'keys_db' => a second server URL for the keys (other credentials; only with a server db),
     *   'library' => path of libfichier_php.so (default: env FICHIER_PHP_LIB, else <repo>/target/debug/libfichier_php.so),
     *   'master_key' => 64 hex (default: env FICHIER_MASTER_KEY, else the key file next to a SQLite db, as the CLI does;
     *      a server db has no such file: give master_key, FICHIER_MASTER_KEY or key_file),
     *   'key_file' => another key file, 'settings' => [name => string] (wasi:config entries),
     *   'clock' => RFC 3339 (pinned), 'cache_dir' => path | false (no cache), 'pooling' => bool,
     *   'max_body' => bytes (default 4 MiB),
     *   'timeout_ms' => a call's bound, 1 to 3600000 ms (default 30000; null: none; a call past it is
     *      stopped, writes nothing, and is answered 503 / rule "deadline"),
     *   'ffi_scope' => 'fichier' (instead of 'library': the binding Preload::load made in opcache.preload)]
     *  or ['transport' => 'http', 'url' => 'http://127.0.0.1:8080', 'timeout' => 10.0]
     */
    public static function fromConfig(array $config): self
    {
        $transport = $config['transport'] ?? null;
        if ($transport === null) {
            throw FichierException::input('transport', 'required', "transport is required: 'in-process' or 'http'");
        }
        if ($transport === 'http') {
            self::onlyKeys($config, self::HTTP_KEYS);
            $url = $config['url'] ?? null;
            if (!is_string($url) || $url === '') {
                throw FichierException::input('url', 'required', 'url is required for the http transport (a string)');
            }
            $timeout = $config['timeout'] ?? 10.0;
            if (!is_int($timeout) && !is_float($timeout)) {
                throw FichierException::input('timeout', 'type', 'timeout must be a number of seconds');
            }
            return new self(new HttpTransport($url, (float) $timeout));
        }
        if ($transport !== 'in-process') {
            throw FichierException::input('transport', 'one-of', "transport must be 'in-process' or 'http'");
        }
        self::onlyKeys($config, self::IN_PROCESS_KEYS);
        $db = $config['db'] ?? null;
        if (!is_string($db) || $db === '') {
            throw FichierException::input('db', 'required', "db is required for the in-process transport: a path, ':memory:', or a mysql:// or postgres:// URL");
        }
        $open = ['db' => $db];
        if (array_key_exists('keys_db', $config)) {
            $k = $config['keys_db'];
            if (!is_string($k) || !preg_match('#^(mysql|mariadb|postgres|postgresql)://#', $k)) {
                throw FichierException::input('keys_db', 'url', 'keys_db must be a mysql:// or postgres:// URL');
            }
            $open['keys_db'] = $k;
        }
        foreach (['master_key', 'key_file', 'clock'] as $k) {
            if (array_key_exists($k, $config)) {
                if (!is_string($config[$k]) || $config[$k] === '') {
                    throw FichierException::input($k, 'type', "$k must be a non-empty string");
                }
                $open[$k] = $config[$k];
            }
        }
        if (isset($open['master_key']) && !preg_match('/^[0-9a-fA-F]{64}$/', $open['master_key'])) {
            throw FichierException::input('master_key', 'hex-256', 'master_key must be 64 hexadecimal characters (256 bits)');
        }
        if (array_key_exists('settings', $config)) {
            $settings = $config['settings'];
            if (!is_array($settings) || ($settings !== [] && array_is_list($settings))) {
                throw FichierException::input('settings', 'type', 'settings must be an array of name => string');
            }
            foreach ($settings as $name => $value) {
                if (!is_string($value)) {
                    throw FichierException::input("settings.$name", 'type', "setting $name must be a string");
                }
            }
            $open['settings'] = (object) $settings;
        }
        if (array_key_exists('cache_dir', $config)) {
            $c = $config['cache_dir'];
            if ($c === false || $c === null) {
                $open['cache_dir'] = null;
            } elseif (is_string($c) && $c !== '') {
                $open['cache_dir'] = $c;
            } else {
                throw FichierException::input('cache_dir', 'type', 'cache_dir must be a directory path, or false for no cache');
            }
        }
        if (array_key_exists('pooling', $config)) {
            if (!is_bool($config['pooling'])) {
                throw FichierException::input('pooling', 'type', 'pooling must be true or false');
            }
            $open['pooling'] = $config['pooling'];
        }
        if (array_key_exists('max_body', $config)) {
            if (!is_int($config['max_body']) || $config['max_body'] < 0) {
                throw FichierException::input('max_body', 'type', 'max_body must be a number of bytes (an integer >= 0)');
            }
            $open['max_body'] = $config['max_body'];
        }
        if (array_key_exists('timeout_ms', $config)) {
            $t = $config['timeout_ms'];
            if ($t !== null && (!is_int($t) || $t < 1 || $t > 3600000)) {
                throw FichierException::input('timeout_ms', 'range', 'timeout_ms must be 1 to 3600000 milliseconds, or null');
            }
            $open['timeout_ms'] = $t;
        }
        $library = $config['library'] ?? null;
        if (array_key_exists('ffi_scope', $config)) {
            if ($library !== null) {
                throw FichierException::input('ffi_scope', 'exclusive', 'give either library or ffi_scope, not both');
            }
            if (!is_string($config['ffi_scope']) || !preg_match('/^[A-Za-z_][A-Za-z0-9_]*$/', $config['ffi_scope'])) {
                throw FichierException::input('ffi_scope', 'type', 'ffi_scope must be the name Preload::load declared (fichier)');
            }
            return new self(new InProcessTransport('scope:' . $config['ffi_scope'], $open));
        }
        if ($library === null) {
            $env = getenv('FICHIER_PHP_LIB');
            $library = is_string($env) && $env !== '' ? $env : dirname(__DIR__, 3) . '/target/debug/libfichier_php.so';
        } elseif (!is_string($library) || $library === '' || str_starts_with($library, 'scope:')) {
            throw FichierException::input('library', 'type', 'library must be the path of libfichier_php.so');
        }
        return new self(new InProcessTransport($library, $open));
    }

    /** @param array<string, mixed> $config @param list<string> $allowed */
    private static function onlyKeys(array $config, array $allowed): void
    {
        foreach (array_keys($config) as $k) {
            if (!in_array($k, $allowed, true)) {
                throw FichierException::input((string) $k, 'unknown-key', "unknown configuration key $k for the {$config['transport']} transport (known: " . implode(', ', $allowed) . ')');
            }
        }
    }

    /** 'in-process' or 'http'. */
    public function transportName(): string
    {
        return $this->transport instanceof InProcessTransport ? 'in-process' : 'http';
    }

    /**
     * One REST request. `$path` is the path with its query string ('/v1/purposes?lang=fr');
     * `$headers` name => value; `$clientAddr` the end user's address, sent in-process as
     * `spin-client-addr` (a caller's own spin-client-addr header is dropped); ignored over http,
     * where the server sees the connection's address.
     *
     * @param array<string, string> $headers
     */
    public function request(string $method, string $path, array $headers = [], ?string $body = null, ?string $clientAddr = null): Response
    {
        if (!preg_match('/^[!#$%&\'*+.^_`|~0-9A-Za-z-]{1,32}$/', $method)) {
            throw FichierException::input('method', 'token', 'method must be an HTTP token (e.g. GET)');
        }
        if ($path === '' || $path[0] !== '/' || strlen($path) > 8192 || preg_match('/[\x00-\x20\x7f]/', $path)) {
            throw FichierException::input('path', 'request-target', 'path must start with / and hold no spaces or control characters (at most 8192 bytes)');
        }
        $clean = [];
        foreach ($headers as $name => $value) {
            $name = (string) $name;
            if (!preg_match('/^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$/', $name)) {
                throw FichierException::input('headers', 'token', 'a header name must be an HTTP token');
            }
            if (!is_string($value) && !is_int($value)) {
                throw FichierException::input("headers.$name", 'type', "header $name must be a string");
            }
            $value = (string) $value;
            if (preg_match('/[\x00\r\n]/', $value)) {
                throw FichierException::input("headers.$name", 'no-control', "header $name must not hold CR, LF or NUL");
            }
            $clean[$name] = $value;
        }
        if ($clientAddr !== null && !preg_match('/^[0-9A-Fa-f.:\[\]]{2,64}$/', $clientAddr)) {
            throw FichierException::input('client_addr', 'ip', 'client_addr must be an IP address, optionally with a port');
        }
        return $this->transport->request($method, $path, $clean, $body ?? '', $clientAddr);
    }

    /** @param array<string, string> $headers */
    public function get(string $path, array $headers = []): Response
    {
        return $this->request('GET', $path, $headers);
    }

    /** @param array<string, string> $headers */
    public function postJson(string $path, mixed $data, array $headers = []): Response
    {
        return $this->request('POST', $path, self::jsonHeaders($headers), self::encode($data, 'data'));
    }

    /** @param array<string, string> $headers */
    public function putJson(string $path, mixed $data, array $headers = []): Response
    {
        return $this->request('PUT', $path, self::jsonHeaders($headers), self::encode($data, 'data'));
    }

    /** @param array<string, string> $headers @return array<string, string> */
    private static function jsonHeaders(array $headers): array
    {
        foreach (array_keys($headers) as $n) {
            if (strtolower((string) $n) === 'content-type') {
                return $headers;
            }
        }
        return $headers + ['content-type' => 'application/json'];
    }

    private static function encode(mixed $data, string $field): string
    {
        try {
            return json_encode($data, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
        } catch (\JsonException $e) {
            throw new FichierException("$field cannot be encoded as JSON: {$e->getMessage()}", $field, 'json', $e);
        }
    }

    /**
     * In-process only: a library-world call as the CLI makes it (`invoke('consent',
     * 'list-purposes', [['id' => 'me', 'role' => 'admin']])`), arguments as JSON of their WIT
     * types. Returns ['ok' => …] or ['err' => …] (a function without a WIT result: ['ok' => …]).
     * Note: an empty PHP array encodes as a JSON list; pass (object) [] for an empty record.
     *
     * @param list<mixed> $args
     * @return array<string, mixed>
     */
    public function invoke(string $interface, string $function, array $args): array
    {
        if (!array_is_list($args)) {
            throw FichierException::input('args', 'list', 'args must be a list of the function\'s arguments, in order');
        }
        $out = $this->invokeJson($interface, $function, self::encode($args, 'args'));
        $v = json_decode($out, true, 512, JSON_BIGINT_AS_STRING);
        if (is_array($v) && count($v) === 1 && (array_key_exists('ok', $v) || array_key_exists('err', $v))) {
            return $v;
        }
        return ['ok' => $v];
    }

    /** In-process only: `invoke` with the arguments and the result as raw JSON text. */
    public function invokeJson(string $interface, string $function, string $argsJson): string
    {
        foreach (['interface' => $interface, 'function' => $function] as $field => $v) {
            if (!preg_match('/^[a-z][a-z0-9-]{0,63}$/', $v)) {
                throw FichierException::input($field, 'kebab-case', "$field must be a WIT name in kebab-case");
            }
        }
        return $this->inProcess('invoke')->invokeJson($interface, $function, $argsJson);
    }

    /** In-process with a pinned clock only: move the clock (RFC 3339). */
    public function setClock(string $rfc3339): void
    {
        if (str_contains($rfc3339, "\0")) {
            throw FichierException::input('clock', 'rfc3339', 'clock must be an RFC 3339 instant');
        }
        $this->inProcess('setClock')->setClock($rfc3339);
    }

    /** Release the in-process handle now (it is released anyway when the client is dropped). */
    public function close(): void
    {
        if ($this->transport instanceof InProcessTransport) {
            $this->transport->close();
        }
    }

    private function inProcess(string $what): InProcessTransport
    {
        if (!$this->transport instanceof InProcessTransport) {
            throw new FichierException("$what needs the in-process transport", 'transport', 'in-process');
        }
        return $this->transport;
    }
}
