<?php
declare(strict_types=1);

namespace Fichier;

/**
 * Every failure of the client: a bad configuration, a bad input, a transport that could not
 * deliver, a body that is not JSON. When the cause is a named input, `field` names it (a config
 * key such as `db`, or `path`, `headers`, `body`…) and `rule` names the rule it broke
 * (`required`, `type`, `utf-8`, `max-bytes`…); both are null otherwise.
 */
class FichierException extends \RuntimeException
{
    public ?string $field;
    public ?string $rule;

    public function __construct(string $message, ?string $field = null, ?string $rule = null, ?\Throwable $previous = null)
    {
        parent::__construct($message, 0, $previous);
        $this->field = $field;
        $this->rule = $rule;
    }

    /** A failure of the named input `field` against `rule`. */
    public static function input(string $field, string $rule, string $message): self
    {
        return new self("$field [$rule]: $message", $field, $rule);
    }
}
