/*
 * fichier.h — the C ABI of libfichier_php (host-examples/php/ffi), what PHP's FFI::cdef reads.
 *
 * The library runs the fichier component in-process with the Rust host (fichier-host): one
 * engine and compiled component per process, shared by its handles, a fresh instance per call,
 * a call's writes committed in one transaction when it returns. The library is never unloaded
 * once loaded (-z nodelete): after replacing the file, restart the processes that loaded it
 * (reload PHP-FPM), as for a PHP extension.
 *
 * Conventions:
 * - Strings passed in are UTF-8 and NUL-terminated, except bodies, which are bytes with a length.
 * - `error` out-parameters (char **) may be NULL. On failure a function returns NULL (or 0) and,
 *   when `error` is not NULL, sets *error to a JSON object
 *       {"field": "...", "rule": "...", "message": "..."}
 *   naming the input that was refused and the rule it broke ("field" is "" when no input is to
 *   blame). Free it with fichier_string_free. On success *error is left NULL.
 * - Every string or response the library returns is owned by the caller until freed with the
 *   matching free function; freeing NULL is a no-op.
 * - No function unwinds into the caller: a panic inside is caught and reported as an error
 *   (rule "panic").
 * - A handle is not thread-safe: use it from one thread at a time (PHP's model).
 */
/* ABI version 1: what fichier_abi_version() returns. (No #define here: PHP's FFI::cdef and
 * FFI::load parse declarations only.) */

typedef struct fichier_handle fichier_handle;

typedef struct fichier_response {
    uint16_t status;
    /* JSON array of [name, value] pairs, names lower-case, in the component's order. */
    char *headers_json;
    /* The body: body_len bytes, not NUL-terminated, possibly containing NUL bytes. */
    char *body;
    size_t body_len;
} fichier_response;

/* The ABI version the library speaks (1 for this header). */
uint32_t fichier_abi_version(void);

/*
 * Open a handle from a JSON configuration object:
 *   "db"         (required) a database path (SQLite; the same files as the CLI's --db), ":memory:",
 *                or a database server's URL, as the CLI's --db: mysql://user:pass@host:port/name or
 *                mysql://user:pass@localhost/name?socket=/path (MariaDB/MySQL), postgres://…;
 *                fichier's own query settings: prefix= (tables <prefix>fichier_data and
 *                <prefix>fichier_keys, created if absent), pool=, timeout_ms=. One client per
 *                process and URL, shared by its handles; every write its own transaction, so
 *                several processes (PHP workers, other front ends) serve one database at once
 *   "keys_db"    a second server URL for the keys (other credentials); only with a server db
 *   "master_key" 64 hex characters; absent: FICHIER_MASTER_KEY, else the key file "<db>.master.key"
 *                (created on first use, as the CLI does; ":memory:" and a server db, which
 *                never holds the key, require one of the two or key_file)
 *   "key_file"   another key file path (as the CLI's --key-file)
 *   "settings"   an object of string settings (wasi:config entries; "master_key" is refused)
 *   "clock"      an RFC 3339 instant: pin the clock there (tests); absent: the system clock
 *   "cache_dir"  where the compiled component is cached; null: no cache; absent: as the CLI
 *                (FICHIER_CACHE_DIR, else $XDG_CACHE_HOME/fichier, else $HOME/.cache/fichier)
 *   "pooling"    true: wasmtime's pooling allocator (faster calls, slower open); default false
 *   "max_body"   the largest request body accepted by fichier_http, bytes (default 4 MiB)
 *   "timeout_ms" a call still running after this many milliseconds (1 to 3600000; up to 10 ms
 *                more) is stopped and writes nothing: fichier_invoke fails with rule "deadline",
 *                fichier_http answers 503 (rule "deadline"); default 30000; null: no bound
 * Unknown keys are refused (rule "unknown-key").
 */
fichier_handle *fichier_open(const char *config_json, char **error);

/* Close a handle (NULL: no-op). */
void fichier_close(fichier_handle *handle);

/*
 * One request to the component's wasi:http/incoming-handler, as `fichier serve` passes it:
 *   method        e.g. "GET"
 *   path          path and query, starting with "/" (e.g. "/v1/purposes?lang=fr")
 *   headers_json  JSON array of [name, value] pairs (or NULL: none); a "spin-client-addr" header
 *                 is dropped, as `fichier serve` does
 *   client_addr   the end user's address ("ip" or "ip:port"), sent as spin-client-addr (NULL: none)
 *   body          body_len bytes (NULL with body_len 0: no body)
 * A body over max_body is answered 413 (problem+json) without running the component.
 * Returns the response (free with fichier_response_free), or NULL on error.
 */
fichier_response *fichier_http(fichier_handle *handle, const char *method, const char *path,
                               const char *headers_json, const char *client_addr,
                               const char *body, size_t body_len, char **error);

void fichier_response_free(fichier_response *response);

/*
 * A library-world call, as the CLI makes it: `interface` e.g. "consent", `function` e.g.
 * "list-purposes", `args_json` a JSON array of the arguments (JSON of their WIT types, as in
 * tests/conformance/README.md). Returns the JSON of the result ({"ok": ...} or {"err": ...} for a
 * WIT result); free with fichier_string_free. NULL on error (a call the component does not
 * export, arguments of the wrong shape, a trap).
 */
char *fichier_invoke(fichier_handle *handle, const char *interface, const char *function,
                     const char *args_json, char **error);

/* Move a pinned clock to an RFC 3339 instant. 1 on success, 0 on error (also when the handle's
 * clock is the system clock: rule "pinned"). */
int32_t fichier_set_clock(fichier_handle *handle, const char *rfc3339, char **error);

void fichier_string_free(char *s);
