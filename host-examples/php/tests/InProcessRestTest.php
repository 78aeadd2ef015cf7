<?php
declare(strict_types=1);

namespace Fichier\Tests;

use Fichier\Client;
use Fichier\FichierException;
use PHPUnit\Framework\TestCase;

/** The REST API in-process: routes, keys, problems, bytes, limits, headers. */
final class InProcessRestTest extends TestCase
{
    private const PURPOSE = ['id' => 'newsletter', 'kind' => 'marketing', 'title' => 'Lettre', 'validity-months' => null];

    public function testPublicRoutesAnswer(): void
    {
        $c = Support::memory();
        $h = $c->get('/v1/health');
        $this->assertSame(200, $h->status);
        $p = $c->get('/v1/purposes');
        $this->assertSame(200, $p->status);
        $this->assertSame('application/json', $p->headers['content-type']);
        $this->assertSame([], $p->json());
        $this->assertTrue($p->isOk());
    }

    public function testWritesNeedAKeyAndSucceedWithOne(): void
    {
        $c = Support::memory();
        $anon = $c->postJson('/v1/purposes', self::PURPOSE);
        $this->assertSame(401, $anon->status, $anon->body);
        $this->assertSame('application/problem+json', $anon->headers['content-type']);

        $key = Support::apiKey($c);
        $auth = ['authorization' => "Bearer $key"];
        $made = $c->postJson('/v1/purposes', self::PURPOSE, $auth);
        $this->assertTrue($made->isOk(), $made->body);
        $this->assertSame('newsletter', $made->json()['id']);
        $notice = $c->postJson('/v1/notices', ['purposes' => ['newsletter'], 'lang' => 'fr', 'text' => 'Lettre : votre e-mail.'], $auth);
        $this->assertTrue($notice->isOk(), $notice->body);

        $list = $c->get('/v1/purposes')->json();
        $this->assertSame(['newsletter'], array_column($list, 'id'));
        // The same store answers the library world: one component behind both faces.
        $this->assertSame('newsletter', $c->invoke('consent', 'list-purposes', [['id' => 'a', 'role' => 'admin']])['ok'][0]['id']);

        $wrong = $c->get('/v1/api-keys', ['authorization' => 'Bearer fk_not-a-key']);
        $this->assertSame(401, $wrong->status);
        $keys = $c->get('/v1/api-keys', $auth);
        $this->assertSame(200, $keys->status, $keys->body);
    }

    public function testErrorsAreProblemsNamingFieldAndRule(): void
    {
        $c = Support::memory();
        $auth = ['authorization' => 'Bearer ' . Support::apiKey($c)];
        $r = $c->postJson('/v1/purposes', ['id' => 'x'], $auth);
        $this->assertSame(422, $r->status);
        $this->assertSame('application/problem+json', $r->headers['content-type']);
        $p = $r->json();
        $this->assertSame(['kind', 'required', 422], [$p['field'], $p['rule'], $p['status']]);

        $missing = $c->get('/v1/no-such-route');
        $this->assertSame(404, $missing->status);
        $this->assertSame('application/problem+json', $missing->headers['content-type']);
    }

    public function testBodiesAreBytesBothWays(): void
    {
        $c = Support::memory();
        $auth = ['authorization' => 'Bearer ' . Support::apiKey($c), 'content-type' => 'application/json'];
        // A NUL byte inside the body reaches the component where it was: its parser stops there.
        $body = '{"id": "a' . "\0" . 'b"}';
        $r = $c->request('POST', '/v1/purposes', $auth, $body);
        $this->assertSame(400, $r->status, $r->body);
        $this->assertStringContainsString('column ' . (strpos($body, "\0") + 1), $r->json()['detail']);
        // Invalid UTF-8 likewise: bytes, not text, go in.
        $r = $c->request('POST', '/v1/purposes', $auth, "{\"id\": \"\xff\"}");
        $this->assertSame(400, $r->status, $r->body);

        // An import chunk is raw bytes (a CSV, UTF-8 with accents): what is counted is what was sent.
        $sys = ['authorization' => 'Bearer ' . Support::apiKey($c, 'system')];
        $this->assertTrue($c->postJson('/v1/purposes', ['id' => 'orders', 'kind' => 'service', 'title' => 'Commandes', 'validity-months' => null], $auth)->isOk());
        $begin = $c->postJson('/v1/imports', ['name' => 'c.csv', 'file-sha256' => str_repeat('1', 64), 'mapping' => [], 'encoding' => 'utf8',
            'delimiter' => ';', 'default-purposes' => ['orders'], 'default-basis' => 'contract', 'source' => null], $sys);
        $this->assertTrue($begin->isOk(), $begin->body);
        $session = $begin->json()['id'];
        $csv = "Email;Prénom;Nom\nanne@example.fr;Anne;Martin\n";
        $fed = $c->request('POST', "/v1/imports/$session/chunks?offset=0&last=true", $sys + ['content-type' => 'text/csv'], $csv);
        $this->assertTrue($fed->isOk(), $fed->body);
        $this->assertSame(strlen($csv), $fed->json()['consumed']);
        $this->assertSame(1, $fed->json()['rows']);

        // Out: a large body (the banner script) arrives whole, as served.
        $js = $c->get('/banner.js');
        $this->assertSame(200, $js->status);
        $this->assertSame((int) ($js->headers['content-length'] ?? strlen($js->body)), strlen($js->body));
        $this->assertGreaterThan(4096, strlen($js->body));
    }

    public function testABodyOverTheLimitIs413WithoutRunningTheComponent(): void
    {
        $c = Support::memory();
        $r = $c->request('POST', '/v1/purposes', ['content-type' => 'application/json'], str_repeat('x', (4 << 20) + 1));
        $this->assertSame(413, $r->status);
        $this->assertSame(['body', 'max-bytes'], [$r->json()['field'], $r->json()['rule']]);
        // At the limit, the component reads it (and refuses it as JSON).
        $r = $c->request('POST', '/v1/purposes', ['content-type' => 'application/json'], str_repeat('x', 4 << 20));
        $this->assertNotSame(413, $r->status);

        $small = Support::memory(Support::NOW, ['max_body' => 10]);
        $this->assertSame(413, $small->request('POST', '/v1/purposes', [], str_repeat('y', 11))->status);
    }

    public function testTheClientAddressIsTheCallersNotAHeader(): void
    {
        // Public requests are counted per client address: two a minute here.
        $c = Support::memory(Support::NOW, ['settings' => ['public_rate_per_minute' => '2']]);
        $spoof = ['spin-client-addr' => '198.51.100.9:1'];
        $this->assertSame(200, $c->request('GET', '/v1/purposes', [], null, '192.0.2.1')->status);
        $this->assertSame(200, $c->request('GET', '/v1/purposes', [], null, '192.0.2.1:4000')->status);
        $over = $c->request('GET', '/v1/purposes', [], null, '192.0.2.1');
        $this->assertSame(429, $over->status, $over->body);
        // Naming another address in a header changes nothing: the header is dropped.
        $this->assertSame(429, $c->request('GET', '/v1/purposes', $spoof, null, '192.0.2.1')->status);
        $this->assertSame(429, $c->request('GET', '/v1/purposes', ['Spin-Client-Addr' => '203.0.113.5'], null, '192.0.2.1')->status);
        // Another caller's address has its own count.
        $this->assertSame(200, $c->request('GET', '/v1/purposes', [], null, '192.0.2.2')->status);
    }

    public function testAPublicReceiptRecordsTheCallersAddress(): void
    {
        $c = Support::memory();
        $auth = ['authorization' => 'Bearer ' . Support::apiKey($c)];
        $this->assertTrue($c->postJson('/v1/purposes', self::PURPOSE, $auth)->isOk());
        $n = $c->postJson('/v1/notices', ['purposes' => ['newsletter'], 'lang' => 'fr', 'text' => 'Lettre : votre e-mail.'], $auth)->json();
        $receipt = ['subject' => ['tag' => 'external', 'val' => 'v-banner-1'], 'purpose' => 'newsletter', 'decision' => 'grant',
            'given-by' => 'subject', 'channel' => 'web-form', 'notice' => $n['reference'], 'at' => null, 'receipt-id' => null,
            'client-ip' => '10.9.9.9', 'user-agent' => null, 'gpc' => false, 'age' => null];
        $r = $c->request('POST', '/v1/consent/receipts', ['content-type' => 'application/json', 'spin-client-addr' => '10.1.1.1:5'],
            json_encode($receipt), '192.0.2.77:5555');
        $this->assertTrue($r->isOk(), $r->body);
        $this->assertSame('192.0.2.0', $r->json()['ip-truncated']);
    }

    /** Issue 24: a visitor naming an e-mail goes through the mail, and learns nothing of the address. */
    public function testConsentByEmailIsConfirmedByMailAndWithdrawnByTheMailsLink(): void
    {
        $c = Support::memory();
        $auth = ['authorization' => 'Bearer ' . Support::apiKey($c)];
        $this->assertTrue($c->postJson('/v1/purposes', self::PURPOSE, $auth)->isOk());
        $n = $c->postJson('/v1/notices', ['purposes' => ['newsletter'], 'lang' => 'fr', 'text' => 'Lettre : votre e-mail.'], $auth)->json();
        $grant = fn (string $email) => ['subject' => ['tag' => 'email', 'val' => $email], 'purpose' => 'newsletter', 'decision' => 'grant',
            'given-by' => 'subject', 'channel' => 'web-form', 'notice' => $n['reference'], 'at' => null, 'receipt-id' => null,
            'client-ip' => null, 'user-agent' => null, 'gpc' => false, 'age' => null];
        // The direct path refuses an e-mail from the public.
        $r = $c->postJson('/v1/consent/receipts', $grant('alice@example.org'));
        $this->assertSame([422, 'email-confirmed-by-mail'], [$r->status, $r->json()['rule']]);
        // A sign-up answers 202, the same for every address; the code is in the outbox.
        $r = $c->postJson('/v1/consent/sign-ups', $grant('alice@example.org'));
        $this->assertSame([202, ['outcome' => 'confirmation-sent']], [$r->status, $r->json()]);
        $this->assertSame([], $c->postJson('/v1/consent/history', ['subject' => ['tag' => 'email', 'val' => 'alice@example.org']], $auth)->json());
        $mail = $c->get('/v1/outbox?limit=10', $auth)->json()['messages'][0];
        $this->assertSame(['consent-confirmation', 'alice@example.org'], [$mail['kind'], $mail['to']]);
        $r = $c->request('POST', '/v1/consent/confirm/' . $mail['token']);
        $this->assertSame([202, ['outcome' => 'confirmed']], [$r->status, $r->json()]);
        $r = $c->request('POST', '/v1/consent/confirm/' . $mail['token']);
        $this->assertSame([422, 'token-matches'], [$r->status, $r->json()['rule']]);
        // The shop mints the one-click link of its mails (RFC 8058); following it withdraws.
        $token = $c->postJson('/v1/consent/unsubscribe-links', ['subject' => ['tag' => 'email', 'val' => 'alice@example.org'], 'purpose' => 'newsletter'], $auth)->json();
        $r = $c->request('POST', '/v1/unsubscribe/' . $token, ['content-type' => 'application/x-www-form-urlencoded'], 'List-Unsubscribe=One-Click');
        $this->assertSame([202, ['outcome' => 'withdrawn']], [$r->status, $r->json()]);
        $history = $c->postJson('/v1/consent/history', ['subject' => ['tag' => 'email', 'val' => 'alice@example.org']], $auth)->json();
        $this->assertSame([['grant', 'web-form'], ['withdraw', 'email-link']], array_map(fn ($h) => [$h['decision'], $h['channel']], $history));
    }

    public function testBadRequestsThrowTypedExceptions(): void
    {
        $c = Support::memory();
        $cases = [
            'method' => fn () => $c->request('GE T', '/v1/purposes'),
            'path' => fn () => $c->request('GET', 'v1/purposes'),
            'headers' => fn () => $c->get('/v1/purposes', ['bad name' => 'x']),
            'headers.x' => fn () => $c->get('/v1/purposes', ['x' => "a\r\nInjected: 1"]),
            'client_addr' => fn () => $c->request('GET', '/v1/purposes', [], null, 'not an address'),
            'data' => fn () => $c->postJson('/v1/purposes', ['bad' => "\xff"]),
            'args' => fn () => $c->invoke('consent', 'list-purposes', ['a' => 1]),
            'interface' => fn () => $c->invoke("consent\0", 'list-purposes', []),
            'clock' => fn () => $c->setClock('tomorrow'),
        ];
        foreach ($cases as $field => $call) {
            try {
                $call();
                $this->fail("$field: no exception");
            } catch (FichierException $e) {
                $this->assertSame($field, $e->field, $e->getMessage());
                $this->assertNotNull($e->rule, $e->getMessage());
            }
        }
        // Arguments of the wrong shape: the component's host names the problem.
        try {
            $c->invoke('consent', 'list-purposes', [1, 2]);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame(['args', 'bad-call'], [$e->field, $e->rule]);
        }
        try {
            $c->invoke('consent', 'no-such-function', []);
            $this->fail('no exception');
        } catch (FichierException $e) {
            $this->assertSame('bad-call', $e->rule);
        }
        // A refused input is an answer, not an exception.
        $r = $c->invoke('consent', 'declare-purpose', [['id' => 'a', 'role' => 'admin'], ['id' => 'Bad Id', 'kind' => 'marketing', 'title' => 't', 'validity-months' => null]]);
        $this->assertSame('invalid-input', $r['err']['tag']);
        // The client still works after all of this.
        $this->assertSame(200, $c->get('/v1/health')->status);
    }

    public function testTheCliAndPhpShareOneDatabase(): void
    {
        $dir = Support::tempDir();
        try {
            $db = "$dir/shop.db";
            $c = Client::fromConfig(['transport' => 'in-process', 'db' => $db, 'library' => Support::library(),
                'cache_dir' => Support::cacheDir(), 'clock' => Support::NOW]);
            $key = Support::apiKey($c);
            $this->assertTrue($c->postJson('/v1/purposes', self::PURPOSE, ['authorization' => "Bearer $key"])->isOk());
            $c->close();
            // The key file was made next to the database, as the CLI makes it, mode 0600.
            $this->assertFileExists("$db.master.key");
            $this->assertSame(0600, fileperms("$db.master.key") & 0777);
            $out = [];
            exec('env -u FICHIER_MASTER_KEY FICHIER_CACHE_DIR=' . escapeshellarg(Support::cacheDir()) . ' '
                . escapeshellarg(Support::bin()) . ' --db ' . escapeshellarg($db) . ' --json purpose list 2>&1', $out, $rc);
            $this->assertSame(0, $rc, implode("\n", $out));
            $this->assertStringContainsString('"newsletter"', implode("\n", $out));
            // And PHP reopens what the CLI left.
            $again = Client::fromConfig(['transport' => 'in-process', 'db' => $db, 'library' => Support::library(), 'cache_dir' => Support::cacheDir()]);
            $this->assertSame(['newsletter'], array_column($again->get('/v1/purposes')->json(), 'id'));
        } finally {
            Support::removeDir($dir);
        }
    }
}
