<?php
declare(strict_types=1);

namespace Fichier\Tests;

use PHPUnit\Framework\TestCase;

/**
 * A long-lived PHP worker (PHP-FPM's model): one process serves request after request, and
 * the library keeps the engine and the compiled component between them (the library is
 * linked `-z nodelete`, so PHP releasing its FFI binding at a request's end leaves it loaded).
 */
final class WorkerTest extends TestCase
{
    public function testTheLibraryIsNeverUnloaded(): void
    {
        exec('readelf -d ' . escapeshellarg(Support::library()) . ' 2>&1', $out, $rc);
        $this->assertSame(0, $rc, 'readelf (binutils) is needed: ' . implode("\n", $out));
        $flags = preg_grep('/\(FLAGS_1\)/', $out);
        $this->assertNotEmpty($flags, implode("\n", $out));
        $this->assertStringContainsString('NODELETE', implode(' ', $flags));
    }

    public function testOneProcessServesRequestAfterRequest(): void
    {
        $cgi = self::phpCgi();
        $dir = Support::tempDir();
        try {
            $env = ['FICHIER_PHP_LIB' => Support::library(), 'FICHIER_CACHE_DIR' => Support::cacheDir(), 'WORKER_DB' => "$dir/worker.db"];
            $cmd = 'env ' . implode(' ', array_map(fn ($k, $v) => "$k=" . escapeshellarg($v), array_keys($env), $env))
                . ' ' . escapeshellarg($cgi) . ' -q -d ffi.enable=1 -T 4 ' . escapeshellarg(__DIR__ . '/fixtures/worker-request.php') . ' 2>&1';
            exec($cmd, $out, $rc);
            $text = implode("\n", $out);
            $this->assertSame(0, $rc, $text);
            $lines = array_values(array_filter(array_map(fn ($l) => json_decode($l, true), $out), 'is_array'));
            $this->assertCount(4, $lines, $text);
            $this->assertCount(1, array_unique(array_column($lines, 'pid')), "one process: $text");
            foreach ($lines as $i => $l) {
                $this->assertSame(['status' => 200, 'before' => $i, 'added' => true], array_diff_key($l, ['pid' => 0]), $text);
            }
        } finally {
            Support::removeDir($dir);
        }
    }

    public function testAForkedChildStartsItsOwnThreads(): void
    {
        $this->assertTrue(function_exists('pcntl_fork'), 'PHP\'s pcntl extension is needed');
        $dir = Support::tempDir();
        try {
            $cmd = escapeshellarg(PHP_BINARY) . ' -d ffi.enable=1 ' . escapeshellarg(__DIR__ . '/fixtures/forked-worker.php')
                . ' ' . escapeshellarg(Support::library()) . ' ' . escapeshellarg(Support::cacheDir()) . ' ' . escapeshellarg("$dir/fork.db") . ' 2>&1';
            exec($cmd, $out, $rc);
            $text = implode("\n", $out);
            $this->assertSame(0, $rc, $text);
            $lines = array_values(array_filter(array_map(fn ($l) => json_decode($l, true), $out), 'is_array'));
            $this->assertSame([
                ['process' => 'parent', 'status' => 200],
                // The child's I/O runtime answers, and its epoch advances: the chunk past
                // 50 ms is stopped, over HTTP and over invoke, and writes nothing.
                ['process' => 'child', 'status' => 200, 'chunk' => [503, 'deadline'], 'invoke' => 'deadline', 'rows' => 0],
                ['process' => 'parent', 'child' => 0],
            ], $lines, $text);
        } finally {
            Support::removeDir($dir);
        }
    }

    /**
     * The thread that bounds calls (`timeout_ms`) lives as long as the process, so it must
     * not wake a worker that is waiting for its next request: it sleeps while no call runs.
     */
    public function testTheCallBoundSleepsWhileNoCallRuns(): void
    {
        $c = Support::memory();
        $this->assertSame(200, $c->get('/v1/purposes')->status);
        $c->close();
        usleep(50_000); // the tick that was due when the call ended
        $before = self::epochWakeUps();
        $this->assertNotEmpty($before, 'no fichier-epoch thread in this process');
        usleep(300_000); // 30 ticks, were it ticking
        foreach (self::epochWakeUps() as $tid => $n) {
            $this->assertLessThanOrEqual(1, $n - ($before[$tid] ?? 0), "thread $tid woke while no call ran");
        }
    }

    /** @return array<string, int> voluntary context switches of each fichier-epoch thread */
    private static function epochWakeUps(): array
    {
        $out = [];
        foreach (glob('/proc/self/task/*') ?: [] as $task) {
            if (trim((string) @file_get_contents("$task/comm")) === 'fichier-epoch'
                && preg_match('/^voluntary_ctxt_switches:\s+(\d+)/m', (string) @file_get_contents("$task/status"), $m)) {
                $out[basename($task)] = (int) $m[1];
            }
        }
        return $out;
    }

    private static function phpCgi(): string
    {
        $cgi = dirname(PHP_BINARY) . '/php-cgi' . (preg_match('/php(\d+\.\d+)$/', PHP_BINARY, $m) ? $m[1] : '');
        foreach ([$cgi, '/usr/bin/php-cgi'] as $c) {
            if (is_executable($c)) {
                return $c;
            }
        }
        throw new \RuntimeException('php-cgi is needed (Debian: php8.2-cgi), to run one PHP process over several requests');
    }
}
