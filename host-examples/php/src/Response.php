<?php
declare(strict_types=1);

namespace Fichier;

/** One HTTP response of the REST API, in-process or remote alike. */
final class Response
{
    public int $status;
    /** @var array<string, string> lower-case name => value (repeated headers joined with ", ") */
    public array $headers;
    /** The body's bytes, exactly as the component wrote them. */
    public string $body;

    /** @param array<string, string> $headers */
    public function __construct(int $status, array $headers, string $body)
    {
        $this->status = $status;
        $this->headers = $headers;
        $this->body = $body;
    }

    /** The body decoded as JSON (objects as associative arrays). */
    public function json(): mixed
    {
        try {
            return json_decode($this->body, true, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new FichierException("the response body is not JSON: {$e->getMessage()}", 'body', 'json', $e);
        }
    }

    /** A 2xx status. */
    public function isOk(): bool
    {
        return $this->status >= 200 && $this->status < 300;
    }

    public function header(string $name): ?string
    {
        return $this->headers[strtolower($name)] ?? null;
    }
}
