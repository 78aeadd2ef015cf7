<?php
/**
 * Test double of the WP Consent API's inc/api-functions.php (see wp-consent-api.php for what
 * it follows and what it leaves out).
 *
 * @package fichier-test
 */

defined( 'ABSPATH' ) || exit;

function wp_consent_api_enqueue_assets() {
	wp_enqueue_script( 'wp-consent-api', WP_CONSENT_API_URL . 'wp-consent-api.js', array(), WP_CONSENT_API_VERSION, true );
	wp_localize_script(
		'wp-consent-api',
		'consent_api',
		array(
			'consent_type'         => wp_get_consent_type(),
			'waitfor_consent_hook' => apply_filters( 'wp_consent_api_waitfor_consent_hook', false ),
			'cookie_expiration'    => wp_consent_api_cookie_expiration(),
			'cookie_prefix'        => WP_Consent_API::$config->consent_cookie_prefix(),
			'services'             => array(),
		)
	);
}
add_action( 'wp_enqueue_scripts', 'wp_consent_api_enqueue_assets', PHP_INT_MAX - 100 );

function wp_validate_consent_type( string $consent_type ): string {
	return in_array( $consent_type, WP_Consent_API::$config->consent_types(), true ) ? $consent_type : '';
}

function wp_validate_consent_value( string $value ): string {
	return in_array( $value, WP_Consent_API::$config->consent_values(), true ) ? $value : '';
}

function wp_validate_consent_category( string $category ): string {
	return in_array( $category, WP_Consent_API::$config->consent_categories(), true ) ? $category : 'functional';
}

function wp_get_consent_type(): string {
	return apply_filters( 'wp_get_consent_type', '' );
}

function wp_has_consent( string $category, ?string $requested_by = null ): bool {
	$type     = wp_get_consent_type();
	$category = wp_validate_consent_category( $category );
	$cookie   = WP_Consent_API::$config->consent_cookie_prefix() . '_' . $category;
	if ( ! $type ) {
		$has = true;
	} elseif ( false !== strpos( $type, 'optout' ) && ! isset( $_COOKIE[ $cookie ] ) ) {
		$has = true;
	} else {
		$has = isset( $_COOKIE[ $cookie ] ) && 'allow' === $_COOKIE[ $cookie ];
	}
	return apply_filters( 'wp_has_consent', $has, $category, $requested_by );
}

function wp_consent_api_cookie_expiration(): int {
	return apply_filters( 'wp_consent_api_cookie_expiration', WP_Consent_API::$config->cookie_expiration_days() );
}

function wp_set_consent( string $category, string $value ): void {
	$value    = wp_validate_consent_value( apply_filters( 'wp_set_consent_value', $value ) );
	$category = wp_validate_consent_category( $category );
	setcookie( WP_Consent_API::$config->consent_cookie_prefix() . '_' . $category, $value, time() + wp_consent_api_cookie_expiration() * DAY_IN_SECONDS, '/' );
}

function consent_api_registered( $plugin ) {
	if ( false !== strpos( $plugin, 'wp-consent-api.php' ) ) {
		return true;
	}
	return apply_filters( "wp_consent_api_registered_{$plugin}", false );
}

function wp_add_cookie_info( $name, $plugin_or_service, $category, $expires, $function, $collected_personal_data = '', $member_cookie = false, $administrator_cookie = false, $type = 'HTTP', $domain = false ) {
	WP_Consent_API::$cookie_info->add_cookie_info( $name, $plugin_or_service, $category, $expires, $function, $collected_personal_data, $member_cookie, $administrator_cookie, $type, $domain );
}

function wp_get_cookie_info( $name = false ) {
	return WP_Consent_API::$cookie_info->get_cookie_info( $name );
}
