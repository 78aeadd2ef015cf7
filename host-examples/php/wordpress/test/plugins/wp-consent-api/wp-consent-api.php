<?php
/**
 * Plugin Name: WP Consent API (test double)
 * Description: Test only. A test double of the WP Consent API plugin (https://wordpress.org/plugins/wp-consent-api,
 *              github.com/WordPress/wp-consent-level-api), which is in no package registry this
 *              test can reach. Written for this test (not a copy) to behave as upstream does, following:
 *              wp-consent-api.php and inc/api-functions.php at commit 4092e090f01d5cd1b08800069afd483a3b2b951e
 *              (version 2.0.0), assets/js/wp-consent-api.js at 380a513d31e670002976ba9178fecd2b25a36e11,
 *              inc/class-wp-consent-api-config.php at b733c5c7d64c13240ab2624b2a6462bcd78ad185
 *              (Really-Simple-Plugins/wp-consent-level-api, the same file upstream).
 *              Kept: the loading order (functions exist from plugins_loaded, priority 9), the filters
 *              wp_get_consent_type, wp_consent_categories, wp_consent_values, wp_consent_types,
 *              wp_consent_cookie_prefix (default wp_consent), wp_cookie_expiration (30 days),
 *              wp_has_consent, wp_set_consent_value, wp_consent_api_registered_{plugin}; the
 *              cookies <prefix>_<category> = allow|deny; wp_has_consent's rule (no type: true;
 *              optout and no cookie: true; else the cookie is allow); an unknown category read
 *              as functional; the script 'wp-consent-api' in the footer at wp_enqueue_scripts
 *              priority PHP_INT_MAX - 100 with the object consent_api; wp_add_cookie_info.
 *              Left out: services (wp_has_service_consent…), Site Health, comments.
 * Version:     2.0.0-test
 *
 * @package fichier-test
 */

defined( 'ABSPATH' ) || exit;

if ( ! class_exists( 'WP_Consent_API' ) ) {
	/** The API's entry point: its configuration and cookie register, made at plugins_loaded (9). */
	class WP_Consent_API {
		/** @var WP_Consent_API_Config|null */
		public static $config;
		/** @var WP_Consent_API_Cookie_Info|null */
		public static $cookie_info;

		public static function init() {
			if ( null !== self::$config ) {
				return;
			}
			define( 'WP_CONSENT_API_URL', plugin_dir_url( __FILE__ ) );
			define( 'WP_CONSENT_API_VERSION', '2.0.0-test' );
			self::$config      = new WP_Consent_API_Config();
			self::$cookie_info = new WP_Consent_API_Cookie_Info();
			require_once __DIR__ . '/api-functions.php';
		}
	}

	/** The filterable lists and values. */
	class WP_Consent_API_Config {
		public function consent_types() {
			return apply_filters( 'wp_consent_types', array( 'optin', 'optout' ) );
		}
		public function consent_cookie_prefix() {
			return apply_filters( 'wp_consent_cookie_prefix', 'wp_consent' );
		}
		public function consent_categories() {
			return apply_filters( 'wp_consent_categories', array( 'functional', 'preferences', 'statistics', 'statistics-anonymous', 'marketing' ) );
		}
		public function consent_values() {
			return apply_filters( 'wp_consent_values', array( 'allow', 'deny' ) );
		}
		public function cookie_expiration_days() {
			return apply_filters( 'wp_cookie_expiration', 30 );
		}
	}

	/** The cookies plugins declare. */
	class WP_Consent_API_Cookie_Info {
		/** @var array<string, array<string, mixed>> */
		private $cookies = array();

		public function add_cookie_info( $name, $plugin_or_service, $category, $expires, $function, $collected_personal_data = '', $member_cookie = false, $administrator_cookie = false, $type = 'HTTP', $domain = false ) {
			$this->cookies[ $name ] = array(
				'plugin_or_service'       => $plugin_or_service,
				'category'                => wp_validate_consent_category( $category ),
				'expires'                 => $expires,
				'function'                => $function,
				'collected_personal_data' => $collected_personal_data,
				'member_cookie'           => (bool) $member_cookie,
				'administrator_cookie'    => (bool) $administrator_cookie,
				'type'                    => $type,
				'domain'                  => $domain,
			);
		}

		public function get_cookie_info( $name = false ) {
			if ( false === $name ) {
				return $this->cookies;
			}
			return $this->cookies[ $name ] ?? array();
		}
	}

	add_action( 'plugins_loaded', array( WP_Consent_API::class, 'init' ), 9 );
}
