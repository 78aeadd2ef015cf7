<?php
/**
 * Deleting the plugin deletes its settings (the API key among them). fichier's own data — the
 * customer file, the receipts, the ledger — is the shop's record and stays where it is.
 *
 * @package fichier
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'fichier_settings' );
