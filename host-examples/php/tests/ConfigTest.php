<?php
declare(strict_types=1);

namespace Fichier\Tests;

use Fichier\Client;
use Fichier\FichierException;
use PHPUnit\Framework\TestCase;

/** A bad configuration is a FichierException naming the key and the rule, never a crash. */
final class ConfigTest extends TestCase
{
    /** @return array<string, array{array<string, mixed>, string, string}> */
    public function badConfigs(): array
    {
        $lib = Support::library();
        $mem = ['transport' => 'in-process', 'db' => ':memory:', 'library' => $lib, 'master_key' => Support::TEST_KEY, 'cache_dir' => Support::cacheDir()];
        return [
            'no transport' => [[], 'transport', 'required'],
            'unknown transport' => [['transport' => 'carrier-pigeon'], 'transport', 'one-of'],
            'unknown key' => [$mem + ['dbb' => 'x'], 'dbb', 'unknown-key'],
            'http key in-process' => [$mem + ['url' => 'http://x'], 'url', 'unknown-key'],
            'no db' => [['transport' => 'in-process', 'library' => $lib], 'db', 'required'],
            'db not a string' => [['db' => 3] + $mem, 'db', 'required'],
            'short key' => [['master_key' => 'abcd'] + $mem, 'master_key', 'hex-256'],
            'settings a list' => [['settings' => ['a', 'b']] + $mem, 'settings', 'type'],
            'setting not a string' => [['settings' => ['shop_origins' => 3]] + $mem, 'settings.shop_origins', 'type'],
            'master key as a setting' => [['settings' => ['master_key' => Support::TEST_KEY]] + $mem, 'settings.master_key', 'secret'],
            'bad clock' => [['clock' => 'next tuesday'] + $mem, 'clock', 'rfc3339'],
            'clock not a string' => [['clock' => 5] + $mem, 'clock', 'type'],
            'cache_dir a number' => [['cache_dir' => 5] + $mem, 'cache_dir', 'type'],
            'pooling a string' => [['pooling' => 'yes'] + $mem, 'pooling', 'type'],
            'max_body negative' => [['max_body' => -1] + $mem, 'max_body', 'type'],
            'timeout_ms zero' => [['timeout_ms' => 0] + $mem, 'timeout_ms', 'range'],
            'timeout_ms a string' => [['timeout_ms' => '100'] + $mem, 'timeout_ms', 'range'],
            'timeout_ms over an hour' => [['timeout_ms' => 3600001] + $mem, 'timeout_ms', 'range'],
            'no library' => [['library' => '/nonexistent/libfichier_php.so'] + $mem, 'library', 'exists'],
            'not a library' => [['library' => __FILE__] + $mem, 'library', 'loadable'],
            'unopenable db' => [['db' => '/nonexistent-dir/x/f.db'] + $mem, 'db', 'openable'],
            'db a malformed server URL' => [['db' => 'mysql://shop:s3cret@localhost/shop?pool=0'] + $mem, 'db', 'url'],
            'db a server nobody answers on' => [['db' => 'mysql://shop:s3cret@127.0.0.1:1/shop?timeout_ms=500'] + $mem, 'db', 'openable'],
            'keys_db not a URL' => [['keys_db' => '/var/lib/keys.db'] + $mem, 'keys_db', 'url'],
            'keys_db beside a SQLite db' => [['keys_db' => 'mysql://k:s3cret@localhost/keys'] + $mem, 'keys_db', 'server-db'],
            'http without url' => [['transport' => 'http'], 'url', 'required'],
            'http bad url' => [['transport' => 'http', 'url' => 'ftp://example.org'], 'url', 'http-url'],
            'http url with query' => [['transport' => 'http', 'url' => 'http://127.0.0.1:1/?a=b'], 'url', 'http-url'],
            'http bad timeout' => [['transport' => 'http', 'url' => 'http://127.0.0.1:1', 'timeout' => 0], 'timeout', 'range'],
            'http timeout a string' => [['transport' => 'http', 'url' => 'http://127.0.0.1:1', 'timeout' => '5'], 'timeout', 'type'],
            'in-process key over http' => [['transport' => 'http', 'url' => 'http://127.0.0.1:1', 'db' => 'x'], 'db', 'unknown-key'],
        ];
    }

    /**
     * @dataProvider badConfigs
     * @param array<string, mixed> $config
     */
    public function testABadConfigNamesTheKeyAndRule(array $config, string $field, string $rule): void
    {
        try {
            Client::fromConfig($config);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame([$field, $rule], [$e->field, $e->rule], $e->getMessage());
        }
    }

    public function testAMemoryStoreWithoutAKeyIsRefused(): void
    {
        $saved = getenv('FICHIER_MASTER_KEY');
        putenv('FICHIER_MASTER_KEY');
        try {
            Client::fromConfig(['transport' => 'in-process', 'db' => ':memory:', 'library' => Support::library()]);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['master_key', 'required'], [$e->field, $e->rule]);
        } finally {
            if ($saved !== false) {
                putenv("FICHIER_MASTER_KEY=$saved");
            }
        }
    }

    public function testAServerDbNamesItsFieldNeverItsPasswordAndNeedsAKeyOutsideIt(): void
    {
        $server = ['transport' => 'in-process', 'db' => 'mysql://shop:s3cret@127.0.0.1:1/shop?timeout_ms=500', 'library' => Support::library(), 'cache_dir' => Support::cacheDir()];
        try {
            Client::fromConfig($server + ['master_key' => Support::TEST_KEY]);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['db', 'openable'], [$e->field, $e->rule]);
            $this->assertStringContainsString('mysql://shop:***@127.0.0.1:1/shop', $e->getMessage());
            $this->assertStringNotContainsString('s3cret', $e->getMessage());
        }
        // The database never holds the master key: no key file is looked for beside it.
        $saved = getenv('FICHIER_MASTER_KEY');
        putenv('FICHIER_MASTER_KEY');
        try {
            Client::fromConfig($server);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['master_key', 'required'], [$e->field, $e->rule], $e->getMessage());
            $this->assertStringNotContainsString('s3cret', $e->getMessage());
        } finally {
            if ($saved !== false) {
                putenv("FICHIER_MASTER_KEY=$saved");
            }
        }
    }

    public function testALooseKeyFileIsRefused(): void
    {
        $dir = Support::tempDir();
        try {
            file_put_contents("$dir/f.db.master.key", Support::TEST_KEY);
            chmod("$dir/f.db.master.key", 0644);
            $saved = getenv('FICHIER_MASTER_KEY');
            putenv('FICHIER_MASTER_KEY');
            try {
                Client::fromConfig(['transport' => 'in-process', 'db' => "$dir/f.db", 'library' => Support::library(), 'cache_dir' => false]);
                $this->fail('no exception');
            } catch (FichierException $e) {
                $this->assertSame(['master_key', 'resolvable'], [$e->field, $e->rule]);
                $this->assertStringContainsString('chmod 600', $e->getMessage());
            } finally {
                if ($saved !== false) {
                    putenv("FICHIER_MASTER_KEY=$saved");
                }
            }
        } finally {
            Support::removeDir($dir);
        }
    }

    public function testInProcessOnlyCallsRefuseHttp(): void
    {
        $c = Client::fromConfig(['transport' => 'http', 'url' => 'http://127.0.0.1:1']);
        $this->assertSame('http', $c->transportName());
        foreach ([fn () => $c->invoke('consent', 'list-purposes', []), fn () => $c->setClock(Support::NOW)] as $call) {
            try {
                $call();
                $this->fail('no exception');
            } catch (FichierException $e) {
                $this->assertSame(['transport', 'in-process'], [$e->field, $e->rule]);
            }
        }
    }

    public function testAnUnreachableServerIsAnException(): void
    {
        // Port 1 on loopback: nothing listens there.
        $c = Client::fromConfig(['transport' => 'http', 'url' => 'http://127.0.0.1:1', 'timeout' => 2]);
        try {
            $c->get('/v1/health');
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['url', 'reachable'], [$e->field, $e->rule]);
        }
    }

    public function testTheSystemClockCannotBeMoved(): void
    {
        $c = Client::fromConfig(['transport' => 'in-process', 'db' => ':memory:', 'library' => Support::library(),
            'master_key' => Support::TEST_KEY, 'cache_dir' => Support::cacheDir()]);
        try {
            $c->setClock(Support::NOW);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['clock', 'pinned'], [$e->field, $e->rule]);
        }
        $c->close();
        try {
            $c->get('/v1/health');
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['client', 'open'], [$e->field, $e->rule]);
        }
    }

    public function testAResponseThatIsNotJsonSaysSo(): void
    {
        $r = Support::memory()->get('/banner.js');
        try {
            $r->json();
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['body', 'json'], [$e->field, $e->rule]);
        }
    }
}
