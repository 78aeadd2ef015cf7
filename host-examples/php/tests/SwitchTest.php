<?php
declare(strict_types=1);

namespace Fichier\Tests;

use Fichier\Client;
use Fichier\Response;
use PHPUnit\Framework\TestCase;

/**
 * Switching by configuration alone: the same REST requests against the in-process handler
 * (a SQLite file) and against a real `fichier serve` child (its own SQLite file) give the
 * same statuses, content types and bodies. Both clocks are pinned at the same instant and
 * both stores use the test key; what is generated (API key tokens, the HTTP Date header) is
 * left out of the comparison.
 */
final class SwitchTest extends TestCase
{
    private const PURPOSE = ['id' => 'newsletter', 'kind' => 'marketing', 'title' => 'Lettre d\'information', 'validity-months' => null];
    private const COMPARED_HEADERS = ['content-type', 'cache-control', 'x-content-type-options', 'etag', 'content-security-policy'];

    /**
     * The sequence, as [method, path, headers, body, with key?].
     * @return list<array{string, string, array<string, string>, ?string, bool}>
     */
    private static function sequence(): array
    {
        $json = ['content-type' => 'application/json'];
        $enc = fn (mixed $v) => (string) json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        return [
            ['GET', '/v1/health', [], null, false],
            ['GET', '/v1/purposes', [], null, false],
            ['POST', '/v1/purposes', $json, $enc(self::PURPOSE), false],
            ['POST', '/v1/purposes', $json, $enc(self::PURPOSE), true],
            ['POST', '/v1/purposes', $json, $enc(self::PURPOSE), true],
            ['POST', '/v1/notices', $json, $enc(['purposes' => ['newsletter'], 'lang' => 'fr', 'text' => 'Lettre : votre e-mail, pour la lettre.']), true],
            ['GET', '/v1/purposes', [], null, false],
            ['GET', '/v1/notices', [], null, false],
            ['GET', '/v1/notices/newsletter:fr:v1', [], null, false],
            ['POST', '/v1/consent/sign-ups', $json + ['user-agent' => 'php-test'], $enc(['subject' => ['tag' => 'email', 'val' => 'alice@example.org'],
                'purpose' => 'newsletter', 'decision' => 'grant', 'given-by' => 'subject', 'channel' => 'web-form', 'notice' => 'newsletter:fr:v1',
                'at' => null, 'receipt-id' => 'form-1', 'client-ip' => null, 'user-agent' => null, 'gpc' => false, 'age' => null]), false],
            ['POST', '/v1/consent/status', $json, $enc(['subject' => ['tag' => 'email', 'val' => 'alice@example.org']]), false],
            ['POST', '/v1/consent/history', $json, $enc(['subject' => ['tag' => 'email', 'val' => 'alice@example.org']]), true],
            ['GET', '/v1/ledger/verify', [], null, true],
            ['GET', '/v1/consent/rates', [], null, true],
            ['POST', '/v1/purposes', $json, '{"id": "broken"', true],
            ['POST', '/v1/purposes', $json, "{\"id\": \"a\0\xff\"}", true],
            ['PUT', '/v1/policy', $json, '[]', true],
            ['GET', '/v1/no-such-route', [], null, false],
            ['DELETE', '/v1/purposes', [], null, true],
            ['GET', '/banner.js', [], null, false],
            ['GET', '/admin', [], null, false],
            ['GET', '/v1/purposes?lang=fr', [], null, false],
        ];
    }

    /** @return list<Response> */
    private static function runAll(Client $c, string $key): array
    {
        $out = [];
        foreach (self::sequence() as [$method, $path, $headers, $body, $withKey]) {
            if ($withKey) {
                $headers['authorization'] = "Bearer $key";
            }
            // In-process, the caller names the end user's address; remote, the server sees ours.
            $out[] = $c->request($method, $path, $headers, $body, '127.0.0.1:40000');
        }
        return $out;
    }

    /**
     * A body with what is generated per store made alike: the API key's actor id
     * (`key:<8 hex>`, from the random key), the token itself, and receipt chain hashes
     * (`hash`, `prev`: a receipt is sealed with a random nonce before it is hashed, so
     * two stores never share them, even with the same key, clock and input).
     */
    private static function normal(string $body, string $token): string
    {
        $body = str_replace($token, 'fk_*', $body);
        $body = (string) preg_replace('/key:[0-9a-f]{8}/', 'key:*', $body);
        return (string) preg_replace('/"(hash|prev)":"[0-9a-f]{64}"/', '"$1":"*"', $body);
    }

    public function testTheSameRequestsGetTheSameAnswersInProcessAndRemote(): void
    {
        $dir = Support::tempDir();
        $server = null;
        try {
            $config = ['transport' => 'in-process', 'library' => Support::library(), 'master_key' => Support::TEST_KEY,
                'clock' => Support::NOW, 'cache_dir' => Support::cacheDir()];
            // Each side's admin key is made through the library world before its requests:
            // the server's by PHP in-process on the server's database file, before it starts.
            $local = Client::fromConfig($config + ['db' => "$dir/local.db"]);
            $localKey = Support::apiKey($local);
            $seed = Client::fromConfig($config + ['db' => "$dir/remote.db"]);
            $remoteKey = Support::apiKey($seed);
            $seed->close();
            unset($seed);

            $server = new ServeProcess("$dir/remote.db");
            $remote = Client::fromConfig(['transport' => 'http', 'url' => $server->url, 'timeout' => 30.0]);
            $this->assertSame('http', $remote->transportName());
            $this->assertSame('in-process', $local->transportName());

            $a = self::runAll($local, $localKey);
            $b = self::runAll($remote, $remoteKey);
            $seq = self::sequence();
            $statuses = [];
            foreach ($a as $i => $ra) {
                $rb = $b[$i];
                $what = "request $i ({$seq[$i][0]} {$seq[$i][1]})";
                $statuses[] = $ra->status;
                $this->assertSame($rb->status, $ra->status, "$what: status; remote said {$rb->body}, in-process {$ra->body}");
                foreach (self::COMPARED_HEADERS as $h) {
                    $this->assertSame($rb->headers[$h] ?? null, $ra->headers[$h] ?? null, "$what: header $h");
                }
                $this->assertSame(self::normal($rb->body, $remoteKey), self::normal($ra->body, $localKey), "$what: body");
            }
            // The sequence exercised what it meant to: successes, refusals and problems.
            foreach ([200, 400, 401, 404, 405, 422] as $s) {
                $this->assertContains($s, $statuses, "the sequence should include a $s");
            }

            // A body over the limit is 413 on both sides.
            $big = str_repeat('x', (4 << 20) + 1);
            $ra = $local->request('POST', '/v1/purposes', ['content-type' => 'application/json'], $big);
            $rb = $remote->request('POST', '/v1/purposes', ['content-type' => 'application/json'], $big);
            $this->assertSame([413, 413], [$ra->status, $rb->status]);
            $this->assertSame($rb->body, $ra->body);
        } finally {
            $server?->stop();
            Support::removeDir($dir);
        }
    }
}
