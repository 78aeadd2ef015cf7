<?php
/**
 * fichier's cookie banner on the shop's pages.
 *
 * @package fichier
 */

defined( 'ABSPATH' ) || exit;

/**
 * Enqueues the banner in the page head. The banner calls its API at the origin it was loaded
 * from (`/banner.css`, `/v1/banner`, `/v1/consent/receipts`; for a logged-in customer
 * `/v1/banner/choice`): with the http transport that is
 * the remote fichier; in-process there is no fichier server, so these paths of the shop's
 * own origin are answered here by the component's HTTP handler, in this PHP process, with the
 * visitor's address — status, headers and body as the component gives them. So are the
 * public paths of consent by e-mail (issue 24): a newsletter form's sign-up
 * (`/v1/consent/sign-ups`), the confirmation its mail leads to (`/v1/consent/confirm/<token>`)
 * and the one-click unsubscribe target of the shop's mails (`/v1/unsubscribe/<token>`, RFC 8058;
 * `Fichier_WP::unsubscribe_headers()` mints it). Global Privacy
 * Control's `/.well-known/gpc.json` belongs to the shop's origin whatever the transport: it is
 * answered by the component too (in-process or the remote fichier). Nothing else is passed
 * on: the admin routes are never reachable through the shop.
 */
final class Fichier_WP_Banner {

	/** The public paths the banner needs: path => allowed methods. */
	const ROUTES = array(
		'/banner.js'            => array( 'GET', 'HEAD' ),
		'/banner.css'           => array( 'GET', 'HEAD' ),
		'/v1/banner'            => array( 'GET', 'HEAD' ),
		'/v1/banner/choice'     => array( 'POST', 'OPTIONS' ),
		'/v1/consent/receipts'  => array( 'POST', 'OPTIONS' ),
		'/v1/consent/sign-ups'  => array( 'POST', 'OPTIONS' ),
		'/.well-known/gpc.json' => array( 'GET' ),
	);

	/** The public paths that end with a mail's token: prefix => allowed methods. */
	const TOKEN_ROUTES = array(
		'/v1/consent/confirm/' => array( 'POST' ),
		'/v1/unsubscribe/'     => array( 'POST' ),
	);

	/**
	 * The allowed methods of a public path, or null when it is not one.
	 *
	 * @param string $path The request's path.
	 * @return list<string>|null
	 */
	private static function methods( $path ) {
		if ( isset( self::ROUTES[ $path ] ) ) {
			return self::ROUTES[ $path ];
		}
		foreach ( self::TOKEN_ROUTES as $prefix => $methods ) {
			if ( str_starts_with( $path, $prefix ) && preg_match( '/^[A-Za-z0-9_-]{1,200}$/', substr( $path, strlen( $prefix ) ) ) ) {
				return $methods;
			}
		}
		return null;
	}

	/** The path answered at the shop's origin with the http transport too. */
	const GPC = '/.well-known/gpc.json';

	/** Request headers passed on to the component (never cookies nor authorization). */
	const PASS = array( 'content-type', 'origin', 'user-agent', 'accept', 'accept-language', 'sec-gpc', 'access-control-request-method', 'access-control-request-headers' );

	/** The largest body passed on (a receipt is small). */
	const MAX_BODY = 65536;

	/** Hook in. */
	public static function register() {
		add_action( 'plugins_loaded', array( __CLASS__, 'route' ), 1 );
		add_action( 'wp_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
		add_filter( 'script_loader_tag', array( __CLASS__, 'tag' ), 10, 2 );
	}

	/**
	 * The banner script's URL, or null when the banner is off.
	 *
	 * @return string|null
	 */
	public static function script_url() {
		$s = Fichier_WP::settings();
		if ( ! $s['banner'] ) {
			return null;
		}
		if ( 'http' === $s['transport'] ) {
			return '' === $s['url'] ? null : rtrim( $s['url'], '/' ) . '/banner.js';
		}
		return Fichier_WP::home_origin() . '/banner.js';
	}

	/** Enqueue the banner in the head (before any tag it must hold back). */
	public static function enqueue() {
		$src = self::script_url();
		if ( null !== $src ) {
			wp_enqueue_script( 'fichier-banner', $src, array(), null, false ); // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion -- fichier serves it with its own caching headers.
		}
	}

	/**
	 * Add the banner's language to its tag, and for a logged-in customer the reference that
	 * carries their choice across their devices (`data-customer`, CNIL délibération 2025-131).
	 *
	 * @param string $tag    The tag.
	 * @param string $handle Script handle.
	 * @return string
	 */
	public static function tag( $tag, $handle ) {
		if ( 'fichier-banner' !== $handle ) {
			return $tag;
		}
		$lang     = Fichier_WP::settings()['lang'];
		$customer = self::customer_reference();
		$attrs    = ' data-lang="' . esc_attr( $lang ) . '"' . ( null === $customer ? '' : ' data-customer="' . esc_attr( $customer ) . '"' );
		return str_replace( ' src=', $attrs . ' src=', $tag );
	}

	/**
	 * The logged-in customer's reference, minted by fichier for the user's e-mail (a
	 * WooCommerce customer is a WordPress user; the e-mail never reaches the page, only the
	 * opaque reference, valid fichier's `customer-reference-hours`), or null: nobody logged
	 * in (the page is then the same for every visitor, as page caches need), the filter
	 * `fichier_consent_across_devices` said no (the feature is the shop's option), or fichier
	 * did not answer (the banner then works for this device only).
	 *
	 * @return string|null
	 */
	public static function customer_reference() {
		if ( ! is_user_logged_in() || ! apply_filters( 'fichier_consent_across_devices', true ) ) {
			return null;
		}
		$email = (string) wp_get_current_user()->user_email;
		if ( '' === $email ) {
			return null;
		}
		$r = Fichier_WP::api( 'POST', '/v1/consent/customer-references', array( 'subject' => Fichier_WP::by_email( $email ) ) );
		if ( is_wp_error( $r ) || ! $r->isOk() ) {
			error_log( 'fichier: no customer reference: ' . ( is_wp_error( $r ) ? $r->get_error_message() : $r->status ) ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			return null;
		}
		$token = json_decode( $r->body, true )['token'] ?? null;
		return is_string( $token ) && preg_match( '/^[A-Za-z0-9_-]{55}$/', $token ) ? $token : null;
	}

	/** In-process: answer the banner's requests with the component, then stop. */
	public static function route() {
		$s = Fichier_WP::settings();
		if ( ! $s['banner'] || ! isset( $_SERVER['REQUEST_URI'] ) ) {
			return;
		}
		$uri  = (string) $_SERVER['REQUEST_URI']; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- matched against a fixed list, then validated by the client.
		$path = (string) wp_parse_url( $uri, PHP_URL_PATH );
		$allowed = self::methods( $path );
		if ( null === $allowed || ( 'in-process' !== $s['transport'] && self::GPC !== $path ) ) {
			return;
		}
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( sanitize_key( wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) ) : 'GET';
		if ( ! in_array( $method, $allowed, true ) ) {
			self::send( 405, array( 'allow' => implode( ', ', $allowed ) ), '' );
		}
		$query   = (string) wp_parse_url( $uri, PHP_URL_QUERY );
		$headers = array();
		foreach ( self::PASS as $name ) {
			$key = 'content-type' === $name ? 'CONTENT_TYPE' : 'HTTP_' . strtoupper( str_replace( '-', '_', $name ) );
			if ( isset( $_SERVER[ $key ] ) && is_string( $_SERVER[ $key ] ) && ! preg_match( '/[\x00\r\n]/', $_SERVER[ $key ] ) ) {
				$headers[ $name ] = wp_unslash( $_SERVER[ $key ] ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- passed as they are; the component validates.
			}
		}
		$body = '';
		if ( 'POST' === $method ) {
			$body = (string) file_get_contents( 'php://input', false, null, 0, self::MAX_BODY + 1 );
			if ( strlen( $body ) > self::MAX_BODY ) {
				self::send( 413, array( 'content-type' => 'text/plain' ), 'too large' );
			}
		}
		$addr = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : null;
		try {
			$r = Fichier_WP::client()->request( $method, $path . ( '' === $query ? '' : '?' . $query ), $headers, $body, $addr );
		} catch ( Throwable $e ) {
			error_log( 'fichier: banner route failed: ' . $e->getMessage() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			self::send( 503, array( 'content-type' => 'text/plain' ), 'fichier unavailable' );
		}
		self::send( $r->status, $r->headers, 'HEAD' === $method ? '' : $r->body );
	}

	/**
	 * Send an answer as it is and stop.
	 *
	 * @param int                   $status  Status.
	 * @param array<string, string> $headers Headers (lower-case names).
	 * @param string                $body    Body.
	 */
	private static function send( $status, array $headers, $body ) {
		if ( function_exists( 'header_remove' ) ) {
			header_remove();
		}
		http_response_code( (int) $status );
		foreach ( $headers as $name => $value ) {
			$name = strtolower( (string) $name );
			if ( in_array( $name, array( 'connection', 'transfer-encoding', 'content-length', 'keep-alive' ), true ) ) {
				continue;
			}
			header( $name . ': ' . $value, false );
		}
		echo $body; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- the component's answer, byte for byte.
		exit;
	}
}
