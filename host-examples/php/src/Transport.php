<?php
declare(strict_types=1);

namespace Fichier;

/** How a request reaches the component: in-process (FFI) or a remote server (HTTP). */
interface Transport
{
    /**
     * @param array<string, string> $headers name => value, already validated
     */
    public function request(string $method, string $path, array $headers, string $body, ?string $clientAddr): Response;
}
