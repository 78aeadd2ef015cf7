<?php
declare(strict_types=1);

namespace Fichier;

/**
 * The component in this PHP process, through FFI and libfichier_php (host-examples/php/ffi):
 * a request goes to the component's own HTTP handler as bytes and comes back as bytes (no
 * second JSON mapping), and library-world calls go through `invoke`.
 */
final class InProcessTransport implements Transport
{
    /** @var array<string, \FFI> one FFI binding per library path and process */
    private static array $ffi = [];

    private \FFI $lib;
    /** @var \FFI\CData|null fichier_handle* */
    private $handle;

    /**
     * @param string $library the library's path, or `scope:<name>` for a scope preloaded by
     *        Preload::load (FFI::scope)
     * @param array<string, mixed> $open the library's configuration (see ffi/fichier.h)
     */
    public function __construct(string $library, array $open)
    {
        $this->lib = str_starts_with($library, 'scope:') ? self::scope(substr($library, 6)) : self::bind($library);
        try {
            $json = json_encode($open, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        } catch (\JsonException $e) {
            throw new FichierException("the configuration cannot be encoded: {$e->getMessage()}", 'config', 'utf-8', $e);
        }
        $err = $this->lib->new('char*');
        $handle = $this->lib->fichier_open($json, \FFI::addr($err));
        if ($handle === null || \FFI::isNull($handle)) {
            throw $this->error($err, 'opening fichier');
        }
        $this->handle = $handle;
    }

    public function __destruct()
    {
        $this->close();
    }

    public function close(): void
    {
        if ($this->handle !== null) {
            $this->lib->fichier_close($this->handle);
            $this->handle = null;
        }
    }

    /** The FFI binding of `library`, made once per process. */
    private static function bind(string $library): \FFI
    {
        if (isset(self::$ffi[$library])) {
            return self::$ffi[$library];
        }
        if (!extension_loaded('ffi')) {
            throw new FichierException('the in-process transport needs PHP\'s FFI extension', 'transport', 'ffi');
        }
        if (!is_file($library)) {
            throw FichierException::input('library', 'exists', "no library at $library (build it with cargo build -p fichier-php)");
        }
        $header = @file_get_contents(dirname(__DIR__) . '/ffi/fichier.h');
        if ($header === false) {
            throw new FichierException('ffi/fichier.h is missing next to the PHP library', 'library', 'header');
        }
        // PHP's C parser takes declarations only: drop preprocessor lines.
        $decls = preg_replace('/^\s*#.*$/m', '', $header);
        try {
            $ffi = \FFI::cdef((string) $decls, $library);
        } catch (\FFI\Exception $e) {
            $hint = ini_get('ffi.enable') === '1' ? '' : ' (is ffi.enable=1 set? see README)';
            throw new FichierException("cannot load $library: {$e->getMessage()}$hint", 'library', 'loadable', $e);
        }
        if ($ffi->fichier_abi_version() !== 1) {
            throw FichierException::input('library', 'abi-version', "$library speaks ABI " . $ffi->fichier_abi_version() . ', this client 1');
        }
        return self::$ffi[$library] = $ffi;
    }

    /** The binding a preload script made (Preload::load). */
    private static function scope(string $name): \FFI
    {
        $key = "scope:$name";
        if (isset(self::$ffi[$key])) {
            return self::$ffi[$key];
        }
        if (!extension_loaded('ffi')) {
            throw new FichierException('the in-process transport needs PHP\'s FFI extension', 'transport', 'ffi');
        }
        try {
            $ffi = \FFI::scope($name);
        } catch (\FFI\Exception $e) {
            throw new FichierException("no preloaded FFI scope $name: set ffi.preload to the header Fichier\\Preload::writeHeader() writes, or call Fichier\\Preload::load() from opcache.preload ({$e->getMessage()})", 'ffi_scope', 'preloaded', $e);
        }
        if ($ffi->fichier_abi_version() !== 1) {
            throw FichierException::input('ffi_scope', 'abi-version', "the preloaded library speaks ABI " . $ffi->fichier_abi_version() . ', this client 1');
        }
        return self::$ffi[$key] = $ffi;
    }

    private function live(): \FFI\CData
    {
        if ($this->handle === null) {
            throw new FichierException('the client is closed', 'client', 'open');
        }
        return $this->handle;
    }

    /** The library's error (a JSON object naming field and rule) as an exception; frees it. */
    private function error(\FFI\CData $err, string $what): FichierException
    {
        if (\FFI::isNull($err)) {
            return new FichierException("$what failed without a reason");
        }
        $text = \FFI::string($err);
        $this->lib->fichier_string_free($err);
        $e = json_decode($text, true);
        if (!is_array($e)) {
            return new FichierException("$what: $text");
        }
        $field = is_string($e['field'] ?? null) && $e['field'] !== '' ? $e['field'] : null;
        $rule = is_string($e['rule'] ?? null) && $e['rule'] !== '' ? $e['rule'] : null;
        $msg = (string) ($e['message'] ?? $text);
        return new FichierException($field !== null ? "$field [$rule]: $msg" : $msg, $field, $rule);
    }

    public function request(string $method, string $path, array $headers, string $body, ?string $clientAddr): Response
    {
        $pairs = [];
        foreach ($headers as $name => $value) {
            $pairs[] = [(string) $name, $value];
        }
        try {
            $headersJson = json_encode($pairs, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        } catch (\JsonException $e) {
            throw new FichierException('a header value is not UTF-8', 'headers', 'utf-8', $e);
        }
        $err = $this->lib->new('char*');
        $resp = $this->lib->fichier_http(
            $this->live(),
            $method,
            $path,
            $headersJson,
            $clientAddr,
            $body === '' ? null : $body,
            strlen($body),
            \FFI::addr($err),
        );
        if ($resp === null || \FFI::isNull($resp)) {
            throw $this->error($err, 'the request');
        }
        try {
            $r = $resp[0];
            $status = (int) $r->status;
            $out = $r->body_len > 0 ? \FFI::string($r->body, $r->body_len) : '';
            $list = json_decode(\FFI::string($r->headers_json), true);
        } finally {
            $this->lib->fichier_response_free($resp);
        }
        $hs = [];
        foreach (is_array($list) ? $list : [] as [$n, $v]) {
            $hs[$n] = isset($hs[$n]) ? $hs[$n] . ', ' . $v : $v;
        }
        return new Response($status, $hs, $out);
    }

    /** `<interface>.<function>` with `argsJson` (a JSON array): the result's JSON. */
    public function invokeJson(string $interface, string $function, string $argsJson): string
    {
        $err = $this->lib->new('char*');
        $out = $this->lib->fichier_invoke($this->live(), $interface, $function, $argsJson, \FFI::addr($err));
        if ($out === null || \FFI::isNull($out)) {
            throw $this->error($err, "$interface.$function");
        }
        try {
            return \FFI::string($out);
        } finally {
            $this->lib->fichier_string_free($out);
        }
    }

    public function setClock(string $rfc3339): void
    {
        $err = $this->lib->new('char*');
        if ($this->lib->fichier_set_clock($this->live(), $rfc3339, \FFI::addr($err)) !== 1) {
            throw $this->error($err, 'setting the clock');
        }
    }
}
