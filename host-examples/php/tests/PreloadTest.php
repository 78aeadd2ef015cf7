<?php
declare(strict_types=1);

namespace Fichier\Tests;

use Fichier\Client;
use Fichier\FichierException;
use Fichier\Preload;
use PHPUnit\Framework\TestCase;

/**
 * The production set-up: PHP's default `ffi.enable=preload`, the library bound once through
 * `ffi.preload` (the header Preload::writeHeader writes), clients opened with `ffi_scope`.
 */
final class PreloadTest extends TestCase
{
    public function testAPreloadedScopeServesRequestsWithFfiEnableAtPreload(): void
    {
        $dir = Support::tempDir();
        try {
            Preload::writeHeader("$dir/fichier-ffi.h", Support::library());
            $this->assertStringStartsWith("#define FFI_SCOPE \"fichier\"\n#define FFI_LIB \"", (string) file_get_contents("$dir/fichier-ffi.h"));
            $script = "$dir/request.php";
            file_put_contents($script, '<?php
                require ' . var_export(dirname(__DIR__) . '/src/autoload.php', true) . ';
                $c = Fichier\Client::fromConfig(["transport" => "in-process", "db" => ":memory:", "ffi_scope" => "fichier",
                    "master_key" => ' . var_export(Support::TEST_KEY, true) . ', "cache_dir" => ' . var_export(Support::cacheDir(), true) . ']);
                echo json_encode(["status" => $c->get("/v1/purposes")->status, "ffi" => ini_get("ffi.enable")]);');
            $cmd = escapeshellarg(PHP_BINARY) . ' -n -d extension=ffi -d ffi.enable=preload -d ffi.preload=' . escapeshellarg("$dir/fichier-ffi.h")
                . ' ' . escapeshellarg($script) . ' 2>&1';
            exec($cmd, $out, $rc);
            $text = implode("\n", $out);
            $this->assertSame(0, $rc, $text);
            $this->assertSame(['status' => 200, 'ffi' => 'preload'], json_decode($out[0] ?? '', true), $text);
            // (The CLI allows FFI::cdef even at ffi.enable=preload, so that a web request could not
            // bind a library of its own is PHP's rule for web SAPIs, not something this test can show.)
        } finally {
            Support::removeDir($dir);
        }
    }

    public function testAScopeThatWasNotPreloadedIsNamed(): void
    {
        try {
            Client::fromConfig(['transport' => 'in-process', 'db' => ':memory:', 'ffi_scope' => 'fichier', 'master_key' => Support::TEST_KEY]);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['ffi_scope', 'preloaded'], [$e->field, $e->rule], $e->getMessage());
        }
        try {
            Client::fromConfig(['transport' => 'in-process', 'db' => ':memory:', 'ffi_scope' => 'fichier', 'library' => Support::library()]);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['ffi_scope', 'exclusive'], [$e->field, $e->rule]);
        }
    }
}
