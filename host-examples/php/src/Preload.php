<?php
declare(strict_types=1);

namespace Fichier;

/**
 * Binding the library once per server instead of once per request, which also works with
 * PHP's default `ffi.enable=preload` (no request can then load an arbitrary library):
 *
 * - `ffi.preload`: write the header once at deploy time
 *   (`Preload::writeHeader('/etc/php/fichier-ffi.h')`) and set
 *   `ffi.preload=/etc/php/fichier-ffi.h` in php.ini;
 * - or `opcache.preload` (not as root: PHP refuses FFI::load with `opcache.preload_user`):
 *   call `Preload::load()` from the preload script.
 *
 * Requests then open clients with `'ffi_scope' => 'fichier'` instead of `library`.
 */
final class Preload
{
    public const SCOPE = 'fichier';

    private static function library(?string $library): string
    {
        if ($library === null) {
            $env = getenv('FICHIER_PHP_LIB');
            $library = is_string($env) && $env !== '' ? $env : dirname(__DIR__, 3) . '/target/debug/libfichier_php.so';
        }
        if (!is_file($library)) {
            throw FichierException::input('library', 'exists', "no library at $library (build it with cargo build -p fichier-php)");
        }
        if (preg_match('/["\x00-\x1f]/', $library)) {
            throw FichierException::input('library', 'path', 'library must be a path without quotes or control characters');
        }
        return (string) realpath($library);
    }

    /** The header PHP's FFI::load and ffi.preload read: scope `fichier`, bound to `library`. */
    public static function header(?string $library = null): string
    {
        $library = self::library($library);
        $decls = @file_get_contents(dirname(__DIR__) . '/ffi/fichier.h');
        if ($decls === false) {
            throw new FichierException('ffi/fichier.h is missing next to the PHP library', 'library', 'header');
        }
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n#define FFI_LIB \"$library\"\n" . $decls;
    }

    /** Write that header to `path` (for `ffi.preload`). */
    public static function writeHeader(string $path, ?string $library = null): void
    {
        if (file_put_contents($path, self::header($library)) === false) {
            throw FichierException::input('path', 'writable', "cannot write $path");
        }
    }

    /** Declare the scope now (from an `opcache.preload` script). */
    public static function load(?string $library = null): \FFI
    {
        $file = tempnam(sys_get_temp_dir(), 'fichier-ffi-');
        if ($file === false) {
            throw new FichierException('cannot write the FFI header for preloading', 'library', 'header');
        }
        try {
            self::writeHeader($file, $library);
            $ffi = \FFI::load($file);
        } finally {
            unlink($file);
        }
        if ($ffi === null) {
            throw new FichierException('FFI::load could not bind the library', 'library', 'loadable');
        }
        return $ffi;
    }
}
