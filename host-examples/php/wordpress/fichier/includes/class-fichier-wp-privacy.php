<?php
/**
 * WordPress' personal data exporter and eraser, backed by fichier.
 *
 * @package fichier
 */

defined( 'ABSPATH' ) || exit;

/**
 * Tools → Export Personal Data returns what fichier keeps on the person (Art. 15: fields,
 * archive, history, consent receipts, requests, information), paged; Tools → Erase Personal
 * Data erases the person in fichier (Art. 17) and reports what a legal hold keeps and why.
 */
final class Fichier_WP_Privacy {

	const EXPORTER = 'fichier';
	const ERASER   = 'fichier';

	/** Items per page of the export (filter `fichier_export_page_size`). */
	const PAGE_SIZE = 50;

	/** Hook in. */
	public static function register() {
		add_filter( 'wp_privacy_personal_data_exporters', array( __CLASS__, 'add_exporter' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( __CLASS__, 'add_eraser' ) );
		add_action( 'wp_login', array( __CLASS__, 'login' ), 10, 2 );
	}

	/**
	 * `wp_login`: a login is its own event in fichier's file. An online account's inactivity
	 * runs from the last login (2 years, CNIL délibération 2021-131); a login restarts nothing
	 * else (orders are contacts: Fichier_WP_Checkout). A user fichier's file does not hold
	 * (`404`), or a plugin not set up yet, is no failure: logging in never waits on it.
	 *
	 * @param string  $user_login The login name.
	 * @param WP_User $user       The user.
	 */
	public static function login( $user_login, $user ) {
		unset( $user_login );
		$email = isset( $user->user_email ) ? (string) $user->user_email : '';
		if ( '' === $email ) {
			return;
		}
		Fichier_WP::api(
			'POST',
			'/v1/customers/events',
			array(
				'subject' => Fichier_WP::by_email( $email ),
				'event'   => 'login',
				'at'      => null,
			)
		);
	}

	/**
	 * Register the exporter.
	 *
	 * @param array $exporters Exporters.
	 * @return array
	 */
	public static function add_exporter( $exporters ) {
		$exporters[ self::EXPORTER ] = array(
			'exporter_friendly_name' => __( 'fichier customer file', 'fichier' ),
			'callback'               => array( __CLASS__, 'export' ),
		);
		return $exporters;
	}

	/**
	 * Register the eraser.
	 *
	 * @param array $erasers Erasers.
	 * @return array
	 */
	public static function add_eraser( $erasers ) {
		$erasers[ self::ERASER ] = array(
			'eraser_friendly_name' => __( 'fichier customer file', 'fichier' ),
			'callback'             => array( __CLASS__, 'erase' ),
		);
		return $erasers;
	}

	/**
	 * One page of the person's data in fichier. The export (JSON, scope `access`) is
	 * deterministic for a given store and clock, so each page asks for it again and takes its
	 * slice: one item per row, grouped by section.
	 *
	 * @param string $email_address The person's address.
	 * @param int    $page          Page, from 1.
	 * @return array|WP_Error
	 */
	public static function export( $email_address, $page = 1 ) {
		$page = max( 1, (int) $page );
		$size = (int) apply_filters( 'fichier_export_page_size', self::PAGE_SIZE );
		$size = max( 1, min( 1000, $size ) );
		$lang = Fichier_WP::settings()['lang'];
		$r    = Fichier_WP::api(
			'POST',
			'/v1/subjects/export',
			array(
				'subject' => Fichier_WP::by_email( $email_address ),
				'scope'   => 'access',
				'format'  => 'json',
				'lang'    => $lang,
			)
		);
		if ( is_wp_error( $r ) ) {
			return $r;
		}
		if ( 404 === $r->status && self::rule( $r ) === 'known-subject' ) {
			// fichier keeps nothing on this person.
			return array(
				'data' => array(),
				'done' => true,
			);
		}
		if ( ! $r->isOk() ) {
			return Fichier_WP::problem( $r );
		}
		$export  = json_decode( (string) ( $r->json()['content'] ?? '' ), true );
		$items   = array();
		$labels  = self::section_labels();
		$section_list = is_array( $export['sections'] ?? null ) ? $export['sections'] : array();
		foreach ( $section_list as $section ) {
			$name = (string) ( $section['section'] ?? '' );
			$rows = is_array( $section['rows'] ?? null ) ? $section['rows'] : array();
			foreach ( $rows as $n => $row ) {
				$data = array();
				foreach ( (array) $row as $column => $value ) {
					$data[] = array(
						'name'  => (string) $column,
						'value' => is_scalar( $value ) ? (string) $value : wp_json_encode( $value ),
					);
				}
				$items[] = array(
					'group_id'          => 'fichier-' . $name,
					'group_label'       => $labels[ $name ] ?? sprintf( 'fichier: %s', $name ),
					'group_description' => __( 'What the shop\'s customer file (fichier) keeps on you.', 'fichier' ),
					'item_id'           => 'fichier-' . $name . '-' . ( $n + 1 ),
					'data'              => $data,
				);
			}
		}
		$slice = array_slice( $items, ( $page - 1 ) * $size, $size );
		return array(
			'data' => $slice,
			'done' => $page * $size >= count( $items ),
		);
	}

	/**
	 * Erase the person in fichier. One page: fichier erases a person in one call (and running
	 * it again finishes an interrupted one).
	 *
	 * @param string $email_address The person's address.
	 * @param int    $page          Page (unused: one page).
	 * @return array|WP_Error
	 */
	public static function erase( $email_address, $page = 1 ) {
		unset( $page );
		$r = Fichier_WP::api(
			'POST',
			'/v1/subjects/erase',
			array(
				'subject' => Fichier_WP::by_email( $email_address ),
				'options' => new stdClass(),
			)
		);
		if ( is_wp_error( $r ) ) {
			return $r;
		}
		if ( 404 === $r->status && self::rule( $r ) === 'known-subject' ) {
			return array(
				'items_removed'  => false,
				'items_retained' => false,
				'messages'       => array( __( 'fichier: nothing is stored for this person.', 'fichier' ) ),
				'done'           => true,
			);
		}
		if ( ! $r->isOk() ) {
			return Fichier_WP::problem( $r );
		}
		$report = (array) $r->json();
		return self::report_to_response( $report );
	}

	/**
	 * WordPress' eraser answer from fichier's erasure report.
	 *
	 * @param array $report The erasure report.
	 * @return array
	 */
	public static function report_to_response( array $report ) {
		$deleted  = is_array( $report['deleted'] ?? null ) ? $report['deleted'] : array();
		$kept     = is_array( $report['kept'] ?? null ) ? $report['kept'] : array();
		$receipts = (int) ( $report['consent-receipts'] ?? 0 );
		$history  = (int) ( $report['history-entries'] ?? 0 );
		$dropped  = (int) ( $report['messages-dropped'] ?? 0 );
		$messages = array();
		if ( ! empty( $report['already-erased'] ) ) {
			$messages[] = sprintf(
				/* translators: %s: date and time */
				__( 'fichier: this person was already erased on %s; nothing was left to delete.', 'fichier' ),
				(string) $report['already-erased']
			);
		} else {
			$names      = array_map(
				static function ( $f ) {
					return (string) ( $f['field'] ?? '' ) . ( empty( $f['archived'] ) ? '' : ' (archive)' );
				},
				$deleted
			);
			$messages[] = sprintf(
				/* translators: 1: field count, 2: field names, 3: receipts, 4: history entries, 5: messages dropped, 6: date */
				__( 'fichier erased %1$d field(s) [%2$s], %3$d consent receipt(s) no longer open (their hashes stay in the ledger), %4$d history entries deleted, %5$d pending message(s) dropped, at %6$s.', 'fichier' ),
				count( $deleted ),
				implode( ', ', $names ),
				$receipts,
				$history,
				$dropped,
				(string) ( $report['erased-at'] ?? '' )
			);
		}
		foreach ( $kept as $k ) {
			$messages[] = sprintf(
				/* translators: 1: field, 2: category, 3: date, 4: activity or legal-claim, 5: the text imposing the hold */
				__( 'fichier keeps %1$s (%2$s) apart until %3$s under a legal hold of %4$s: %5$s', 'fichier' ),
				(string) ( $k['field'] ?? '' ),
				(string) ( $k['category'] ?? '' ),
				(string) ( $k['until'] ?? '' ),
				(string) ( $k['rule'] ?? '' ),
				(string) ( $k['basis'] ?? '' )
			);
		}
		return array(
			'items_removed'  => count( $deleted ) > 0 || $receipts > 0 || $history > 0 || $dropped > 0,
			'items_retained' => count( $kept ) > 0,
			'messages'       => $messages,
			'done'           => true,
		);
	}

	/**
	 * The rule a problem names.
	 *
	 * @param \Fichier\Response $r Response.
	 * @return string|null
	 */
	private static function rule( $r ) {
		$p = json_decode( $r->body, true );
		return is_array( $p ) && isset( $p['rule'] ) ? (string) $p['rule'] : null;
	}

	/**
	 * Group labels of the export's sections.
	 *
	 * @return array<string, string>
	 */
	private static function section_labels() {
		return array(
			'fields'      => __( 'Customer file: stored data', 'fichier' ),
			'archive'     => __( 'Customer file: intermediate archive', 'fichier' ),
			'anonymised'  => __( 'Customer file: anonymised values', 'fichier' ),
			'history'     => __( 'Customer file: history of changes', 'fichier' ),
			'consent'     => __( 'Consent receipts', 'fichier' ),
			'requests'    => __( 'Your requests', 'fichier' ),
			'information' => __( 'Information (GDPR Art. 15(1))', 'fichier' ),
		);
	}
}
