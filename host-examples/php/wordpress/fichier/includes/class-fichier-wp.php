<?php
/**
 * The plugin's settings and its one connection to fichier.
 *
 * @package fichier
 */

defined( 'ABSPATH' ) || exit;

/**
 * Settings (one option, `fichier_settings`) and the fichier client they describe.
 *
 * The transport is configuration alone: `in-process` loads the component into this PHP
 * process through FFI (libfichier_php, the PHP client's InProcessTransport), its data in the
 * site's own MariaDB/MySQL database (tables `<prefix>fichier_data` and `<prefix>fichier_keys`)
 * or, when the `db_path` setting names one, a SQLite file; `http` talks to a remote
 * `fichier serve` or Spin deployment. Every call goes through the same REST requests either way.
 */
final class Fichier_WP {

	const OPTION = 'fichier_settings';

	/**
	 * The settings, with defaults for what was never saved.
	 *
	 * @return array{transport: string, db_path: string, library: string, url: string, api_key: string, purposes: list<string>, banner: bool, lang: string}
	 */
	public static function settings() {
		$stored = get_option( self::OPTION, array() );
		$stored = is_array( $stored ) ? $stored : array();
		$defaults = array(
			'transport' => 'in-process',
			'db_path'   => '',
			'library'   => '',
			'url'       => '',
			'api_key'   => '',
			'purposes'  => array(),
			'banner'    => false,
			'lang'      => 'fr',
		);
		$s = array_merge( $defaults, array_intersect_key( $stored, $defaults ) );
		$s['purposes'] = is_array( $s['purposes'] ) ? array_values( array_filter( $s['purposes'], 'is_string' ) ) : array();
		$s['banner']   = (bool) $s['banner'];
		return $s;
	}

	/**
	 * Where the PHP client is: the constant FICHIER_CLIENT_AUTOLOAD (wp-config.php), else a copy
	 * bundled in the plugin (`lib/fichier-client/autoload.php`), else the repository's
	 * `host-examples/php/src/autoload.php` next to this plugin.
	 *
	 * @return string|null
	 */
	private static function client_autoload() {
		$candidates = array();
		if ( defined( 'FICHIER_CLIENT_AUTOLOAD' ) ) {
			$candidates[] = (string) FICHIER_CLIENT_AUTOLOAD;
		}
		$candidates[] = FICHIER_WP_DIR . '/lib/fichier-client/autoload.php';
		$candidates[] = dirname( FICHIER_WP_DIR, 2 ) . '/src/autoload.php';
		foreach ( $candidates as $c ) {
			if ( is_file( $c ) ) {
				return $c;
			}
		}
		return null;
	}

	/**
	 * The client configuration the settings describe (without secrets of the API).
	 *
	 * @param array $s Settings.
	 * @return array
	 */
	public static function client_config( array $s ) {
		if ( 'http' === $s['transport'] ) {
			return array(
				'transport' => 'http',
				'url'       => $s['url'],
				'timeout'   => 15.0,
			);
		}
		$config = array(
			'transport' => 'in-process',
			// A SQLite file when the settings name one; else the site's own database.
			'db'        => '' !== $s['db_path'] ? $s['db_path'] : self::site_db_url(),
			// The banner's requests come from the shop's own pages (CORS).
			'settings'  => array( 'shop_origins' => self::home_origin() ),
		);
		// The keys in a database of their own (other credentials: a dump of the site's database
		// then holds no key): a server URL, in wp-config.php only.
		if ( '' === $s['db_path'] && defined( 'FICHIER_KEYS_DB' ) ) {
			$config['keys_db'] = (string) FICHIER_KEYS_DB;
		}
		if ( '' !== $s['library'] ) {
			$config['library'] = $s['library'];
		} elseif ( defined( 'FICHIER_PHP_LIB' ) ) {
			$config['library'] = (string) FICHIER_PHP_LIB;
		}
		// The master key never goes in the database: wp-config.php or the environment (or, with a
		// SQLite file, the key file next to it: the client's default, as the CLI does).
		if ( defined( 'FICHIER_MASTER_KEY' ) ) {
			$config['master_key'] = (string) FICHIER_MASTER_KEY;
		}
		// Where the compiled component is cached (default: as the CLI, FICHIER_CACHE_DIR, else
		// the web server user's $XDG_CACHE_HOME/fichier or $HOME/.cache/fichier).
		if ( defined( 'FICHIER_CACHE_DIR' ) ) {
			$config['cache_dir'] = (string) FICHIER_CACHE_DIR;
		}
		// Tests only: a pinned clock.
		if ( defined( 'FICHIER_PINNED_CLOCK' ) ) {
			$config['clock'] = (string) FICHIER_PINNED_CLOCK;
		}
		if ( defined( 'FICHIER_COMPONENT_SETTINGS' ) && is_array( FICHIER_COMPONENT_SETTINGS ) ) {
			$config['settings'] = array_merge( $config['settings'], array_map( 'strval', FICHIER_COMPONENT_SETTINGS ) );
		}
		return $config;
	}

	/**
	 * The site's own MariaDB/MySQL database as a URL for fichier, from wp-config.php's DB_HOST
	 * (`host`, `host:port`, `host:/path/to.sock`, `[::1]:port`; `localhost` without a socket is
	 * the client library's default socket, as mysqli reads it), DB_USER, DB_PASSWORD and DB_NAME, with the
	 * site's table prefix: fichier's tables are `<prefix>fichier_data` and `<prefix>fichier_keys`
	 * (`$wpdb->prefix`: on a multisite network, each site's own file). MYSQL_CLIENT_FLAGS asking
	 * for TLS asks fichier for it too. The URL holds the password: it is never shown.
	 *
	 * @return string
	 * @throws RuntimeException When DB_HOST cannot be read.
	 */
	public static function site_db_url() {
		global $wpdb;
		return self::db_url(
			defined( 'DB_HOST' ) ? (string) DB_HOST : 'localhost',
			defined( 'DB_USER' ) ? (string) DB_USER : '',
			defined( 'DB_PASSWORD' ) ? (string) DB_PASSWORD : '',
			defined( 'DB_NAME' ) ? (string) DB_NAME : '',
			$wpdb->prefix
		);
	}

	/**
	 * The URL of a MariaDB/MySQL database given as wp-config.php gives it (see site_db_url).
	 *
	 * @param string $db_host  DB_HOST: host, host:port, [v6]:port, host:/socket.
	 * @param string $user     DB_USER.
	 * @param string $password DB_PASSWORD.
	 * @param string $name     DB_NAME.
	 * @param string $prefix   The table prefix.
	 * @return string
	 * @throws RuntimeException When DB_HOST cannot be read.
	 */
	public static function db_url( $db_host, $user, $password, $name, $prefix ) {
		global $wpdb;
		$parsed = $wpdb->parse_db_host( $db_host );
		if ( false === $parsed ) {
			throw new RuntimeException( 'fichier: DB_HOST in wp-config.php cannot be read as host, host:port or host:/socket' );
		}
		list( $host, $port, $socket, $is_ipv6 ) = $parsed;
		$host  = '' === (string) $host ? 'localhost' : (string) $host;
		$query = array( 'prefix' => $prefix );
		if ( null === $socket && 'localhost' === $host ) {
			// mysqli reads `localhost` (with or without a port) as its default socket, not TCP.
			foreach ( array( ini_get( 'mysqli.default_socket' ), ini_get( 'pdo_mysql.default_socket' ), '/var/run/mysqld/mysqld.sock' ) as $candidate ) {
				if ( is_string( $candidate ) && '' !== $candidate ) {
					$socket = $candidate;
					break;
				}
			}
		}
		if ( null !== $socket && '' !== $socket ) {
			$query['socket'] = $socket;
			$host            = 'localhost';
			$port            = null;
		} elseif ( $is_ipv6 ) {
			$host = '[' . $host . ']';
		}
		if ( defined( 'MYSQL_CLIENT_FLAGS' ) && defined( 'MYSQLI_CLIENT_SSL' ) && ( MYSQL_CLIENT_FLAGS & MYSQLI_CLIENT_SSL ) ) {
			$query['ssl-mode'] = 'required';
		}
		$password = '' !== $password ? ':' . rawurlencode( $password ) : '';
		return 'mysql://' . rawurlencode( $user ) . $password . '@' . $host . ( null !== $port ? ':' . $port : '' ) . '/' . rawurlencode( $name )
			. '?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 );
	}

	/**
	 * Where fichier's data is, in words for the settings page (never the password).
	 *
	 * @param array $s Settings.
	 * @return string
	 */
	public static function data_place( array $s ) {
		global $wpdb;
		if ( '' !== $s['db_path'] ) {
			/* translators: %s: the SQLite file's path */
			return sprintf( __( 'the SQLite file %s', 'fichier' ), $s['db_path'] );
		}
		/* translators: 1: database name, 2: the data table, 3: the keys table */
		return sprintf( __( 'the site\'s database %1$s (tables %2$s and %3$s)', 'fichier' ), DB_NAME, $wpdb->prefix . 'fichier_data', $wpdb->prefix . 'fichier_keys' );
	}

	/**
	 * The shop's origin (scheme, host, port) from the home URL.
	 *
	 * @return string
	 */
	public static function home_origin() {
		$p = wp_parse_url( home_url( '/' ) );
		$origin = ( $p['scheme'] ?? 'http' ) . '://' . ( $p['host'] ?? 'localhost' );
		if ( isset( $p['port'] ) ) {
			$origin .= ':' . $p['port'];
		}
		return $origin;
	}

	/**
	 * A client for the given settings. Throws \Fichier\FichierException (or RuntimeException
	 * when the client cannot be found).
	 *
	 * @param array|null $s Settings; null: the saved ones (and the client is kept for the request).
	 * @return \Fichier\Client
	 */
	public static function client( $s = null ) {
		static $cached = null;
		if ( null === $s && null !== $cached ) {
			return $cached;
		}
		$autoload = self::client_autoload();
		if ( null === $autoload ) {
			throw new RuntimeException( 'the fichier PHP client is not installed (define FICHIER_CLIENT_AUTOLOAD)' );
		}
		require_once $autoload;
		$client = \Fichier\Client::fromConfig( self::client_config( $s ?? self::settings() ) );
		if ( null === $s ) {
			$cached = $client;
		}
		return $client;
	}

	/**
	 * One authenticated REST call with the plugin's API key.
	 *
	 * @param string      $method      HTTP method.
	 * @param string      $path        Path and query.
	 * @param mixed       $body        Data to send as JSON, or null for none.
	 * @param string|null $client_addr The visitor's address (in-process only).
	 * @return \Fichier\Response|WP_Error
	 */
	public static function api( $method, $path, $body = null, $client_addr = null ) {
		$s = self::settings();
		if ( '' === $s['api_key'] ) {
			return new WP_Error( 'fichier_no_key', __( 'fichier: no API key is configured (Settings → fichier).', 'fichier' ) );
		}
		$headers = array( 'authorization' => 'Bearer ' . $s['api_key'] );
		$payload = null;
		if ( null !== $body ) {
			$headers['content-type'] = 'application/json';
			$payload                 = wp_json_encode( $body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		}
		try {
			return self::client()->request( $method, $path, $headers, $payload, $client_addr );
		} catch ( Throwable $e ) {
			return new WP_Error( 'fichier_unreachable', 'fichier: ' . $e->getMessage() );
		}
	}

	/**
	 * The problem a failed answer carries, as a WP_Error (`detail`, `field`, `rule`, status).
	 *
	 * @param \Fichier\Response $r Response.
	 * @return WP_Error
	 */
	public static function problem( $r ) {
		$p = json_decode( $r->body, true );
		$p = is_array( $p ) ? $p : array();
		return new WP_Error(
			'fichier_' . $r->status,
			sprintf( 'fichier: %s', $p['detail'] ?? ( 'HTTP ' . $r->status ) ),
			array(
				'status' => $r->status,
				'field'  => $p['field'] ?? null,
				'rule'   => $p['rule'] ?? null,
			)
		);
	}

	/**
	 * The two headers of a mail to `$email` about `$purpose` (RFC 8058 one-click unsubscribe):
	 * the token is minted by fichier with the plugin's key (admin or system); the link is the
	 * shop's origin in-process (answered by the banner's route), fichier's URL over http.
	 *
	 * @param string $email   The recipient.
	 * @param string $purpose The purpose the mail is sent for (e.g. newsletter).
	 * @return array<string, string>|WP_Error
	 */
	public static function unsubscribe_headers( $email, $purpose ) {
		$r = self::api(
			'POST',
			'/v1/consent/unsubscribe-links',
			array(
				'subject' => self::by_email( $email ),
				'purpose' => (string) $purpose,
			)
		);
		if ( is_wp_error( $r ) ) {
			return $r;
		}
		if ( ! $r->isOk() ) {
			return self::problem( $r );
		}
		$s    = self::settings();
		$base = 'http' === $s['transport'] ? rtrim( $s['url'], '/' ) : self::home_origin();
		return array(
			'List-Unsubscribe'      => '<' . $base . '/v1/unsubscribe/' . rawurlencode( (string) json_decode( $r->body ) ) . '>',
			'List-Unsubscribe-Post' => 'List-Unsubscribe=One-Click',
		);
	}

	/**
	 * A subject reference for an e-mail address (fichier normalises and hashes it).
	 *
	 * @param string $email Address.
	 * @return array
	 */
	public static function by_email( $email ) {
		return array(
			'tag' => 'email',
			'val' => (string) $email,
		);
	}
}
