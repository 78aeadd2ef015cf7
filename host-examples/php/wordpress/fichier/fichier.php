<?php
/**
 * Plugin Name:       fichier
 * Description:       Keeps the shop's customer file lawful under the GDPR with fichier: WordPress' personal data export and erasure backed by fichier, consent boxes at WooCommerce checkout recorded as receipts, and fichier's cookie banner, whose choice other plugins read through the WP Consent API.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * License:           Apache-2.0
 * Text Domain:       fichier
 *
 * @package fichier
 */

defined( 'ABSPATH' ) || exit;

define( 'FICHIER_WP_VERSION', '0.1.0' );
define( 'FICHIER_WP_DIR', __DIR__ );
define( 'FICHIER_WP_FILE', __FILE__ );

require_once __DIR__ . '/includes/class-fichier-wp.php';
require_once __DIR__ . '/includes/class-fichier-wp-settings.php';
require_once __DIR__ . '/includes/class-fichier-wp-privacy.php';
require_once __DIR__ . '/includes/class-fichier-wp-checkout.php';
require_once __DIR__ . '/includes/class-fichier-wp-banner.php';
require_once __DIR__ . '/includes/class-fichier-wp-consent-api.php';

Fichier_WP_Settings::register();
Fichier_WP_Privacy::register();
Fichier_WP_Checkout::register();
Fichier_WP_Banner::register();
Fichier_WP_Consent_API::register();
