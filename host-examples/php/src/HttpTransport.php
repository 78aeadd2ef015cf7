<?php
declare(strict_types=1);

namespace Fichier;

/**
 * The REST API of a remote `fichier serve` or Spin deployment, over HTTP/1.1 on a plain
 * socket (`stream_socket_client`, no extension needed; `https` needs PHP's openssl, which
 * Debian's php8.2-common has). The client writes exactly the request it was given: no
 * header is added but `Host`, `Content-Length` and `Connection: close`, so a request
 * means the same in-process and remote.
 */
final class HttpTransport implements Transport
{
    private string $scheme;
    private string $host;
    private int $port;
    private string $prefix;
    private float $timeout;

    public function __construct(string $url, float $timeout)
    {
        $parts = parse_url($url);
        if ($parts === false || !isset($parts['scheme'], $parts['host'])) {
            throw FichierException::input('url', 'http-url', 'url must be an absolute http:// or https:// URL');
        }
        $scheme = strtolower($parts['scheme']);
        if ($scheme !== 'http' && $scheme !== 'https') {
            throw FichierException::input('url', 'http-url', "url must use http or https, not $scheme");
        }
        if (isset($parts['query']) || isset($parts['fragment']) || isset($parts['user']) || isset($parts['pass'])) {
            throw FichierException::input('url', 'http-url', 'url must not carry a query, a fragment or credentials');
        }
        if (!($timeout > 0.0) || $timeout > 3600.0) {
            throw FichierException::input('timeout', 'range', 'timeout must be a number of seconds in (0, 3600]');
        }
        $this->scheme = $scheme;
        $this->host = $parts['host'];
        $this->port = $parts['port'] ?? ($scheme === 'https' ? 443 : 80);
        $this->prefix = rtrim($parts['path'] ?? '', '/');
        $this->timeout = $timeout;
    }

    public function request(string $method, string $path, array $headers, string $body, ?string $clientAddr): Response
    {
        $target = ($this->scheme === 'https' ? 'ssl' : 'tcp') . '://' . $this->host . ':' . $this->port;
        $errno = 0;
        $errstr = '';
        $sock = @stream_socket_client($target, $errno, $errstr, $this->timeout);
        if ($sock === false) {
            throw new FichierException("cannot connect to {$this->host}:{$this->port}: $errstr", 'url', 'reachable');
        }
        try {
            stream_set_timeout($sock, (int) $this->timeout, (int) (fmod($this->timeout, 1.0) * 1e6));
            $hostHeader = str_contains($this->host, ':') ? "[{$this->host}]" : $this->host;
            $default = $this->scheme === 'https' ? 443 : 80;
            if ($this->port !== $default) {
                $hostHeader .= ':' . $this->port;
            }
            $head = "$method {$this->prefix}$path HTTP/1.1\r\nHost: $hostHeader\r\nConnection: close\r\n";
            foreach ($headers as $name => $value) {
                $lower = strtolower($name);
                if ($lower === 'host' || $lower === 'connection' || $lower === 'content-length') {
                    continue;
                }
                $head .= "$name: $value\r\n";
            }
            if ($body !== '' || in_array($method, ['POST', 'PUT', 'PATCH'], true)) {
                $head .= 'Content-Length: ' . strlen($body) . "\r\n";
            }
            $this->writeAll($sock, $head . "\r\n" . $body);
            return $this->readResponse($sock, $method);
        } finally {
            fclose($sock);
        }
    }

    /** @param resource $sock */
    private function writeAll($sock, string $data): void
    {
        $off = 0;
        $len = strlen($data);
        while ($off < $len) {
            $n = @fwrite($sock, substr($data, $off, 1 << 16));
            if ($n === false || $n === 0) {
                // The server may answer (413) and close before reading the whole body.
                if ($this->timedOut($sock)) {
                    throw new FichierException('the server did not take the request in time', 'timeout', 'deadline');
                }
                return;
            }
            $off += $n;
        }
    }

    /** @param resource $sock */
    private function timedOut($sock): bool
    {
        $meta = stream_get_meta_data($sock);
        return (bool) ($meta['timed_out'] ?? false);
    }

    /** @param resource $sock */
    private function readLine($sock): string
    {
        $line = fgets($sock, 65536);
        if ($line === false) {
            if ($this->timedOut($sock)) {
                throw new FichierException('no answer from the server in time', 'timeout', 'deadline');
            }
            throw new FichierException('the server closed the connection without a complete answer', 'url', 'http-response');
        }
        return rtrim($line, "\r\n");
    }

    /** @param resource $sock */
    private function readExactly($sock, int $n): string
    {
        $out = '';
        while (strlen($out) < $n) {
            $chunk = fread($sock, min(1 << 16, $n - strlen($out)));
            if ($chunk === false || $chunk === '') {
                if ($this->timedOut($sock)) {
                    throw new FichierException('no answer from the server in time', 'timeout', 'deadline');
                }
                throw new FichierException('the server closed the connection mid-body', 'url', 'http-response');
            }
            $out .= $chunk;
        }
        return $out;
    }

    /** @param resource $sock */
    private function readResponse($sock, string $method): Response
    {
        do {
            $statusLine = $this->readLine($sock);
            if (!preg_match('#^HTTP/1\.[01] (\d{3})#', $statusLine, $m)) {
                throw new FichierException('the server did not answer HTTP/1.x', 'url', 'http-response');
            }
            $status = (int) $m[1];
            $headers = [];
            while (($line = $this->readLine($sock)) !== '') {
                $colon = strpos($line, ':');
                if ($colon === false) {
                    throw new FichierException('the server sent a malformed header line', 'url', 'http-response');
                }
                $name = strtolower(trim(substr($line, 0, $colon)));
                $value = trim(substr($line, $colon + 1));
                $headers[$name] = isset($headers[$name]) ? $headers[$name] . ', ' . $value : $value;
            }
        } while ($status >= 100 && $status < 200); // interim answers (100 Continue)
        $body = '';
        if ($method !== 'HEAD' && $status !== 204 && $status !== 304) {
            if (str_contains(strtolower($headers['transfer-encoding'] ?? ''), 'chunked')) {
                while (true) {
                    $sizeLine = $this->readLine($sock);
                    $size = hexdec(trim(explode(';', $sizeLine, 2)[0]));
                    if (!is_int($size)) {
                        throw new FichierException('bad chunk size from the server', 'url', 'http-response');
                    }
                    if ($size === 0) {
                        while ($this->readLine($sock) !== '') {
                            // trailers: ignored
                        }
                        break;
                    }
                    $body .= $this->readExactly($sock, $size);
                    $this->readLine($sock);
                }
                unset($headers['transfer-encoding']);
            } elseif (isset($headers['content-length'])) {
                $body = $this->readExactly($sock, (int) $headers['content-length']);
            } else {
                $rest = stream_get_contents($sock);
                $body = $rest === false ? '' : $rest;
            }
        }
        return new Response($status, $headers, $body);
    }
}
