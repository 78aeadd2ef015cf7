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
