<?php
/**
 * Test only: install WordPress in the test's database (run by `run`, from the command line),
 * create the users, switch to the test theme and activate the plugin and the test double of
 * the WP Consent API (plugins/wp-consent-api). The plugin's settings are left empty: the test
 * sets them through the settings page, as a shop would.
 *
 * Usage: php setup-wp.php <wordpress dir> <admin password>
 *
 * @package fichier-test
 */

if ( PHP_SAPI !== 'cli' || $argc !== 3 ) {
	fwrite( STDERR, "usage: php setup-wp.php <wordpress dir> <admin password>\n" );
	exit( 2 );
}
$wp_dir   = $argv[1];
$password = $argv[2];

define( 'WP_INSTALLING', true );
$_SERVER['HTTP_HOST']   = parse_url( getenv( 'FICHIER_WP_BASE' ), PHP_URL_HOST ) . ':' . parse_url( getenv( 'FICHIER_WP_BASE' ), PHP_URL_PORT );
$_SERVER['REQUEST_URI'] = '/';
require $wp_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$installed = wp_install( 'fichier test shop', 'admin', 'admin@example.org', false, '', wp_slash( $password ) );
if ( is_wp_error( $installed ) || empty( $installed['user_id'] ) ) {
	fwrite( STDERR, "wp_install failed\n" );
	exit( 1 );
}
// No "is this still your e-mail?" screen after logging in.
update_option( 'admin_email_lifespan', time() + 10 * YEAR_IN_SECONDS );

foreach ( array(
	array( 'alice', 'alice@example.org', 'subscriber' ),
	array( 'carol', 'carol@example.org', 'subscriber' ),
	array( 'sam', 'sam@example.org', 'subscriber' ),
	array( 'dan', 'dan@example.org', 'subscriber' ),
) as $u ) {
	$id = wp_insert_user(
		array(
			'user_login' => $u[0],
			'user_email' => $u[1],
			'user_pass'  => $password,
			'role'       => $u[2],
		)
	);
	if ( is_wp_error( $id ) ) {
		fwrite( STDERR, "cannot create user {$u[0]}: " . $id->get_error_message() . "\n" );
		exit( 1 );
	}
}

switch_theme( 'fichier-test' );
foreach ( array( 'wp-consent-api/wp-consent-api.php', 'fichier/fichier.php' ) as $plugin ) {
	$active = activate_plugin( $plugin );
	if ( is_wp_error( $active ) ) {
		fwrite( STDERR, "cannot activate $plugin: " . $active->get_error_message() . "\n" );
		exit( 1 );
	}
}
echo "WordPress installed, plugin active\n";
