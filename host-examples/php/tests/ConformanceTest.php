<?php
declare(strict_types=1);

namespace Fichier\Tests;

use PHPUnit\Framework\TestCase;

/**
 * Every case of tests/conformance/*.json, as the Rust runner (tests/tests/conformance.rs)
 * runs it: a fresh in-memory handle per case, the fixed test key, the case's pinned clock,
 * the same placeholders and matcher. JSON objects stay objects (stdClass) throughout, so an
 * empty object and an empty list keep their difference.
 */
final class ConformanceTest extends TestCase
{
    /** @return array<string, array{string}> */
    public function cases(): array
    {
        $files = glob(Support::repo() . '/tests/conformance/*.json') ?: [];
        sort($files);
        $out = [];
        foreach ($files as $f) {
            $out[basename($f, '.json')] = [$f];
        }
        return $out;
    }

    public function testThereAreCases(): void
    {
        $this->assertGreaterThanOrEqual(5, count($this->cases()), 'expected the consent cases at least');
    }

    /** @dataProvider cases */
    public function testCase(string $file): void
    {
        $case = json_decode((string) file_get_contents($file), false, 512, JSON_THROW_ON_ERROR);
        $this->assertIsString($case->clock ?? null, 'a case needs a clock');
        $client = Support::memory($case->clock);
        $saved = [];
        foreach ($case->steps as $i => $step) {
            if (isset($step->clock)) {
                $client->setClock($step->clock);
            }
            if (!isset($step->call)) {
                continue;
            }
            [$iface, $func] = explode('.', $step->call, 2) + [1 => ''];
            $args = Conformance::substitute($step->args ?? [], $saved);
            $out = $client->invokeJson($iface, $func, Conformance::encode($args));
            $result = json_decode($out, false, 512, JSON_THROW_ON_ERROR);
            $expected = isset($step->expect) ? Conformance::substitute($step->expect, $saved) : (object) ['ok' => '$any'];
            $m = Conformance::mismatch('result', $expected, true, $result);
            $this->assertNull($m, "step $i ({$step->call}): $m\n  got $out");
            foreach (get_object_vars($step->save ?? new \stdClass()) as $name => $path) {
                $saved[$name] = Conformance::lookup($result, $path);
            }
        }
    }

    public function testTheMatcherRejectsWhatItShould(): void
    {
        $j = fn (string $s) => json_decode($s, false);
        $m = fn (string $e, string $a) => Conformance::mismatch('r', $j($e), true, $j($a));
        $this->assertNull($m('{"a": 1}', '{"a": 1, "b": 2}'));
        $this->assertNotNull($m('{"a": 1}', '{"a": 2}'));
        $this->assertNotNull($m('[1]', '[1, 2]'));
        $this->assertNotNull($m('{"a": "$absent"}', '{"a": 3}'));
        $this->assertNull($m('{"a": "$absent"}', '{"b": 3}'));
        $this->assertNotNull($m('{"a": "$hex64"}', '{"a": "abc"}'));
        $this->assertNotNull($m('{"ok": {}}', '{"err": {}}'));
        $this->assertNotNull($m('{"a": 1}', '{"a": 1.0}'));
        $this->assertNotNull($m('{"a": {}}', '{"a": []}'));
        $this->assertNotNull($m('{"a": "$any"}', '{}'));
    }
}
