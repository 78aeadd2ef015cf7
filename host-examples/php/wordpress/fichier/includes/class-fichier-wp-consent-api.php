<?php
/**
 * The WP Consent API (the `wp-consent-api` plugin of WordPress.org's Consent API feature
 * project): fichier's banner is the site's consent management, so other plugins (analytics,
 * Site Kit, WooCommerce's order attribution…) read the visitor's choice with
 * `wp_has_consent( $category )` in PHP or JavaScript.
 *
 * How (the API's documented contract, read from its source: `wp-consent-api.php`,
 * `inc/api-functions.php`, `inc/class-wp-consent-api-config.php`, `assets/js/wp-consent-api.js`):
 * - the plugin declares itself compliant: `wp_consent_api_registered_fichier/fichier.php`;
 * - the consent type is `optin` (filter `wp_get_consent_type`; in the page, `window.wp_consent_type`
 *   and the event `wp_consent_type_defined`): in France, trackers wait for consent (CNIL 2020-091);
 * - the banner's choice sets every category with the API's own `wp_set_consent( category,
 *   'allow'|'deny' )` in the browser (cookies `wp_consent_<category>`, event
 *   `wp_listen_for_consent_change` when a value changes), on every page once the banner has
 *   read the stored choice and again at each decision: a refusal, a withdrawal or a choice
 *   that no longer stands (expired, another notice) sets `deny`;
 * - the banner's own cookie `fichier_consent` is declared (functional) with `wp_add_cookie_info`.
 *
 * Nothing of it is per visitor in the page: the map below is the same for every visitor, the
 * state is read in the browser, so a page cache may serve the page to anyone. The PHP side
 * (`wp_has_consent` read by other plugins on the next requests) reads the cookies the browser
 * wrote; fichier never sets them from PHP (a `Set-Cookie` would make pages uncacheable).
 *
 * @package fichier
 */

defined( 'ABSPATH' ) || exit;

/** fichier's banner as the WP Consent API's consent management. */
final class Fichier_WP_Consent_API {

	/** The API's default categories (`WP_Consent_API_Config::consent_categories`). */
	const CATEGORIES = array( 'functional', 'preferences', 'statistics', 'statistics-anonymous', 'marketing' );

	/** fichier's purpose kinds (the register's `purpose-kind`). */
	const KINDS = array( 'service', 'marketing', 'cookie', 'advertising' );

	/** Hook in. */
	public static function register() {
		add_filter( 'wp_consent_api_registered_' . plugin_basename( FICHIER_WP_FILE ), '__return_true' );
		add_filter( 'wp_get_consent_type', array( __CLASS__, 'consent_type' ) );
		add_action( 'init', array( __CLASS__, 'cookie_info' ) );
		add_action( 'wp_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
	}

	/** Whether the API is there and fichier's banner is on: fichier is then the site's consent management. */
	private static function active() {
		return function_exists( 'wp_set_consent' ) && null !== Fichier_WP_Banner::script_url();
	}

	/**
	 * The consent type, while fichier's banner is on: opt-in.
	 *
	 * @param string $type The type so far.
	 * @return string
	 */
	public static function consent_type( $type ) {
		return null !== Fichier_WP_Banner::script_url() ? 'optin' : $type;
	}

	/** Declare the banner's cookie to the API. */
	public static function cookie_info() {
		if ( ! function_exists( 'wp_add_cookie_info' ) || null === Fichier_WP_Banner::script_url() ) {
			return;
		}
		wp_add_cookie_info(
			'fichier_consent',
			'fichier',
			'functional',
			__( '13 months', 'fichier' ),
			__( 'Keeps the visitor\'s cookie choice: the purposes granted and refused, the notice shown, when.', 'fichier' ),
			__( 'A random visitor id', 'fichier' ),
			false,
			false,
			'HTTP'
		);
	}

	/**
	 * The API's categories: its filtered list when it is there, else its defaults.
	 *
	 * @return list<string>
	 */
	public static function categories() {
		if ( class_exists( 'WP_Consent_API' ) && isset( WP_Consent_API::$config ) && is_object( WP_Consent_API::$config ) && method_exists( WP_Consent_API::$config, 'consent_categories' ) ) {
			$c = WP_Consent_API::$config->consent_categories();
			if ( is_array( $c ) ) {
				return array_values( array_filter( $c, 'is_string' ) );
			}
		}
		return self::CATEGORIES;
	}

	/**
	 * Which of fichier's purposes decide which category.
	 *
	 * The rule (CNIL 2020-091 and the API's definitions of its categories):
	 * - `functional` is always allowed: storage strictly necessary for the service the visitor
	 *   asked for (cart, session, authentication, the banner's own choice) needs no consent;
	 * - a purpose of kind `advertising` decides `marketing` (profiles for advertising);
	 * - a purpose of kind `cookie` (the banner's other trackers: audience measurement, social
	 *   media, personalisation) decides `statistics`, `statistics-anonymous` and `preferences`,
	 *   as the banner's Google Consent Mode ties it to `analytics_storage` and
	 *   `personalization_storage`. `statistics-anonymous` waits for consent too: the register
	 *   does not know whether a measurement meets the CNIL's exemption (first-party, anonymous,
	 *   not cross-referenced, 13 months); a shop whose measurement does adds it to `always`.
	 * - a category allowed needs every purpose deciding it granted (as Consent Mode's rule); a
	 *   category no purpose decides is `deny`, and so is every category but `always` ones
	 *   while no choice stands.
	 *
	 * Filter `fichier_wp_consent_map` changes it: `always` (categories always allowed), `kinds`
	 * (purpose kind => categories) and `purposes` (purpose id => categories, over its kind's).
	 * A map that does not validate is logged (field and rule) and replaced by the strictest:
	 * `functional` alone allowed.
	 *
	 * @return array{type: string, categories: list<string>, always: list<string>, kinds: array<string, list<string>>, purposes: array<string, list<string>>}
	 */
	public static function map() {
		$categories = self::categories();
		$only       = static function ( array $list ) use ( $categories ) {
			return array_values( array_intersect( $list, $categories ) );
		};
		// The default names only the categories the site's API has (it may filter them).
		$default = array(
			'always'   => $only( array( 'functional' ) ),
			'kinds'    => array(
				'advertising' => $only( array( 'marketing' ) ),
				'cookie'      => $only( array( 'statistics', 'statistics-anonymous', 'preferences' ) ),
			),
			'purposes' => array(),
		);
		$map   = apply_filters( 'fichier_wp_consent_map', $default );
		$valid = self::validate_map( $map, $categories );
		if ( is_string( $valid ) ) {
			error_log( 'fichier: fichier_wp_consent_map refused, only functional is allowed: ' . $valid ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			$valid = array(
				'always'   => $only( array( 'functional' ) ),
				'kinds'    => array(),
				'purposes' => array(),
			);
		}
		// optin (this plugin's filter), unless a later filter of wp_get_consent_type says otherwise.
		$type = function_exists( 'wp_get_consent_type' ) ? wp_get_consent_type() : '';
		return array(
			'type'       => '' === $type ? 'optin' : $type,
			'categories' => $categories,
		) + $valid;
	}

	/**
	 * The map, checked: the normalised map, or what is wrong (the field and the rule).
	 *
	 * @param mixed        $map        The filtered map.
	 * @param list<string> $categories The API's categories.
	 * @return array{always: list<string>, kinds: array<string, list<string>>, purposes: array<string, list<string>>}|string
	 */
	public static function validate_map( $map, array $categories ) {
		if ( ! is_array( $map ) || array_diff( array_keys( $map ), array( 'always', 'kinds', 'purposes' ) ) ) {
			return 'the map: an array with the keys always, kinds and purposes only';
		}
		$list = static function ( $value, $field ) use ( $categories ) {
			if ( ! is_array( $value ) || ! array_is_list( $value ) ) {
				return "$field: a list of categories";
			}
			foreach ( $value as $c ) {
				if ( ! is_string( $c ) || ! in_array( $c, $categories, true ) ) {
					return "$field: " . ( is_string( $c ) ? $c : gettype( $c ) ) . ' is not a category of the WP Consent API (' . implode( ', ', $categories ) . ')';
				}
			}
			return array_values( array_unique( $value ) );
		};
		$out = array(
			'always'   => array(),
			'kinds'    => array(),
			'purposes' => array(),
		);
		$always = $list( $map['always'] ?? array(), 'always' );
		if ( is_string( $always ) ) {
			return $always;
		}
		$out['always'] = $always;
		foreach ( array( 'kinds', 'purposes' ) as $field ) {
			$value = $map[ $field ] ?? array();
			if ( ! is_array( $value ) ) {
				return "$field: an array";
			}
			foreach ( $value as $key => $cats ) {
				$key = (string) $key;
				if ( 'kinds' === $field && ! in_array( $key, self::KINDS, true ) ) {
					return "kinds: $key is not a purpose kind (" . implode( ', ', self::KINDS ) . ')';
				}
				if ( 'purposes' === $field && ! preg_match( '/^[a-z0-9][a-z0-9._-]{0,63}$/', $key ) ) {
					return "purposes: $key is not a purpose id (a-z 0-9 . _ -, up to 64)";
				}
				$cats = $list( $cats, "$field.$key" );
				if ( is_string( $cats ) ) {
					return $cats;
				}
				$out[ $field ][ $key ] = $cats;
			}
		}
		return $out;
	}

	/** Enqueue the bridge after the API's script, with the map (the same for every visitor). */
	public static function enqueue() {
		if ( ! self::active() ) {
			return;
		}
		wp_enqueue_script( 'fichier-wp-consent', plugins_url( 'assets/wp-consent.js', FICHIER_WP_FILE ), array( 'wp-consent-api' ), FICHIER_WP_VERSION, true );
		wp_add_inline_script( 'fichier-wp-consent', 'window.fichierWpConsent = ' . wp_json_encode( self::map() ) . ';', 'before' );
	}
}
