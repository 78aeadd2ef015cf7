<?php
/**
 * Test only: small exports pages, so that paging is exercised.
 *
 * @package fichier-test
 */

add_filter(
	'fichier_export_page_size',
	static function () {
		return 4;
	}
);

// No calls to wordpress.org (the test machine has no network): no update checks.
add_action(
	'init',
	static function () {
		remove_action( 'admin_init', '_maybe_update_core' );
		remove_action( 'admin_init', '_maybe_update_plugins' );
		remove_action( 'admin_init', '_maybe_update_themes' );
		remove_action( 'admin_init', 'wp_maybe_auto_update' );
	}
);
add_filter( 'pre_wp_mail', '__return_false' );

// Test only: the headers the plugin puts in a mail to ?email=… about ?purpose=… (the shop's
// mailer would add them to wp_mail's headers), as JSON.
add_action(
	'init',
	static function () {
		if ( ! isset( $_GET['fichier-test'] ) || 'unsubscribe-headers' !== $_GET['fichier-test'] ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			return;
		}
		$email   = isset( $_GET['email'] ) ? sanitize_email( wp_unslash( $_GET['email'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$purpose = isset( $_GET['purpose'] ) ? sanitize_key( wp_unslash( $_GET['purpose'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$h       = Fichier_WP::unsubscribe_headers( $email, $purpose );
		header( 'content-type: application/json' );
		echo wp_json_encode( is_wp_error( $h ) ? array( 'error' => $h->get_error_message() ) : $h );
		exit;
	}
);

// Test only: the database URL the plugin makes of wp-config.php's values ?host=…&user=…&password=…&name=…&prefix=…, as JSON.
add_action(
	'init',
	static function () {
		if ( ! isset( $_GET['fichier-test'] ) || 'db-url' !== $_GET['fichier-test'] ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			return;
		}
		$arg = static function ( $name ) {
			return isset( $_GET[ $name ] ) ? (string) wp_unslash( $_GET[ $name ] ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
		};
		header( 'content-type: application/json' );
		try {
			echo wp_json_encode( array( 'url' => Fichier_WP::db_url( $arg( 'host' ), $arg( 'user' ), $arg( 'password' ), $arg( 'name' ), $arg( 'prefix' ) ) ) );
		} catch ( RuntimeException $e ) {
			echo wp_json_encode( array( 'error' => $e->getMessage() ) );
		}
		exit;
	}
);

// Test only: what another plugin reads of the visitor's consent server-side, through the WP
// Consent API (its test double), with the request's cookies: the consent type, whether fichier
// is registered, wp_has_consent for each category, the cookie fichier declares; as JSON.
add_action(
	'init',
	static function () {
		if ( ! isset( $_GET['fichier-test'] ) || 'consent-api' !== $_GET['fichier-test'] ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			return;
		}
		$has = array();
		foreach ( WP_Consent_API::$config->consent_categories() as $c ) {
			$has[ $c ] = wp_has_consent( $c );
		}
		header( 'content-type: application/json' );
		echo wp_json_encode(
			array(
				'type'       => wp_get_consent_type(),
				'registered' => consent_api_registered( 'fichier/fichier.php' ),
				'has'        => $has,
				'cookie'     => wp_get_cookie_info( 'fichier_consent' ),
			)
		);
		exit;
	},
	20
);

// Test only: ?fichier-test-map=<JSON> replaces the WP Consent API map (filter fichier_wp_consent_map).
add_filter(
	'fichier_wp_consent_map',
	static function ( $map ) {
		if ( ! isset( $_GET['fichier-test-map'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			return $map;
		}
		return json_decode( (string) wp_unslash( $_GET['fichier-test-map'] ), true ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
	}
);

// Test only: ?fichier-test-categories=a,b replaces the WP Consent API's categories (its filter wp_consent_categories).
add_filter(
	'wp_consent_categories',
	static function ( $categories ) {
		if ( ! isset( $_GET['fichier-test-categories'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			return $categories;
		}
		return explode( ',', sanitize_text_field( wp_unslash( $_GET['fichier-test-categories'] ) ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
	}
);
