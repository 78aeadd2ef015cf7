<?php
/**
 * WooCommerce checkout consent boxes, recorded as fichier receipts.
 *
 * Written against WooCommerce's documented hooks (templates/checkout/payment.php and
 * WC_Checkout::process_checkout) and tested with a stand-in that fires them: it has NOT been
 * run against WooCommerce itself (see README.md).
 *
 * @package fichier
 */

defined( 'ABSPATH' ) || exit;

/**
 * One unticked box per configured purpose, each with the text of the notice fichier holds for
 * it (in the plugin's language); a ticked box becomes a `grant` receipt citing that notice,
 * channel `checkout`, with the visitor's address (fichier keeps it truncated) and a hash of
 * the User-Agent. An unticked box records nothing: leaving a box unticked is silence, not a
 * decision, and recording a `refuse` would override a consent the person gave elsewhere
 * (fichier decides status by the latest decision).
 */
final class Fichier_WP_Checkout {

	/** A notice reference: `<purposes joined by +>:<lang>:v<version>`. */
	const NOTICE_RE = '/^([a-z0-9][a-z0-9._-]{0,63}(?:\+[a-z0-9][a-z0-9._-]{0,63})*):([a-z]{2}):v([1-9][0-9]{0,8})$/';

	/** Hook in (harmless without WooCommerce: the hooks never fire). */
	public static function register() {
		add_action( 'woocommerce_review_order_before_submit', array( __CLASS__, 'render' ) );
		add_action( 'woocommerce_checkout_process', array( __CLASS__, 'validate' ) );
		add_action( 'woocommerce_checkout_order_processed', array( __CLASS__, 'record' ), 10, 3 );
		// The block-based checkout (WooCommerce's default since 8.3) fires this instead: it
		// shows no boxes, but its orders are contacts all the same.
		add_action( 'woocommerce_store_api_checkout_order_processed', array( __CLASS__, 'record_block' ) );
	}

	/**
	 * `woocommerce_store_api_checkout_order_processed`: the order as the customer's last contact.
	 *
	 * @param WC_Order|obj $order The order.
	 */
	public static function record_block( $order ) {
		$email = self::billing_email( $order );
		if ( '' !== $email ) {
			self::contact( $email, $order );
		}
	}

	/**
	 * An order's billing e-mail ('' when it has none).
	 *
	 * @param WC_Order|obj $order The order.
	 * @return string
	 */
	private static function billing_email( $order ) {
		return is_object( $order ) && method_exists( $order, 'get_billing_email' ) ? (string) $order->get_billing_email() : '';
	}

	/**
	 * The boxes to show: for each configured purpose with a notice in the plugin's language,
	 * its title, the notice's reference and text.
	 *
	 * @return list<array{purpose: string, title: string, notice: string, text: string}>|WP_Error
	 */
	public static function boxes() {
		$s = Fichier_WP::settings();
		if ( array() === $s['purposes'] ) {
			return array();
		}
		$purposes = Fichier_WP::api( 'GET', '/v1/purposes' );
		if ( is_wp_error( $purposes ) ) {
			return $purposes;
		}
		if ( ! $purposes->isOk() ) {
			return Fichier_WP::problem( $purposes );
		}
		$titles = array();
		foreach ( (array) $purposes->json() as $p ) {
			$titles[ (string) $p['id'] ] = (string) $p['title'];
		}
		$out = array();
		foreach ( $s['purposes'] as $purpose ) {
			if ( ! isset( $titles[ $purpose ] ) ) {
				continue;
			}
			// Which notice to show and cite is fichier's rule (the one its banner follows),
			// not the plugin's.
			$found = Fichier_WP::api(
				'POST',
				'/v1/notices/for',
				array(
					'purposes' => array( $purpose ),
					'lang'     => $s['lang'],
				)
			);
			if ( is_wp_error( $found ) ) {
				return $found;
			}
			if ( 404 === $found->status ) {
				// No notice in this language informs about the purpose yet: no box.
				continue;
			}
			if ( ! $found->isOk() ) {
				return Fichier_WP::problem( $found );
			}
			$pair  = (array) $found->json();
			$out[] = array(
				'purpose' => $purpose,
				'title'   => $titles[ $purpose ],
				'notice'  => (string) ( $pair[0]['reference'] ?? '' ),
				'text'    => (string) ( $pair[1] ?? '' ),
			);
		}
		return $out;
	}

	/** Render the boxes before the "Place order" button (unticked). */
	public static function render() {
		$boxes = self::boxes();
		if ( is_wp_error( $boxes ) ) {
			// The shop still sells; no box means no consent is asked (nor recorded).
			error_log( 'fichier: checkout consent boxes unavailable: ' . $boxes->get_error_message() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			return;
		}
		if ( array() === $boxes ) {
			return;
		}
		echo '<div class="fichier-checkout-consents">';
		foreach ( $boxes as $b ) {
			$id = 'fichier_consent_' . sanitize_html_class( $b['purpose'] );
			printf(
				'<p class="form-row fichier-consent"><label class="woocommerce-form__label woocommerce-form__label-for-checkbox checkbox" for="%1$s"><input type="checkbox" class="woocommerce-form__input woocommerce-form__input-checkbox input-checkbox" name="fichier_consent[%2$s]" id="%1$s" value="1" /> <span>%3$s</span></label><input type="hidden" name="fichier_notice[%2$s]" value="%4$s" /><span class="fichier-notice description" data-fichier-notice="%4$s">%5$s</span></p>',
				esc_attr( $id ),
				esc_attr( $b['purpose'] ),
				esc_html( $b['title'] ),
				esc_attr( $b['notice'] ),
				nl2br( esc_html( $b['text'] ) )
			);
		}
		echo '</div>';
	}

	/**
	 * The ticked boxes of the posted checkout: purpose => notice reference, or a WP_Error naming
	 * what is wrong. WooCommerce has verified its checkout nonce before its hooks run.
	 *
	 * @return array<string, string>|WP_Error
	 */
	public static function ticked() {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- WC_Checkout::process_checkout verifies the woocommerce-process_checkout nonce before firing these hooks.
		$consent = isset( $_POST['fichier_consent'] ) ? wp_unslash( $_POST['fichier_consent'] ) : array(); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- validated below.
		$notices = isset( $_POST['fichier_notice'] ) ? wp_unslash( $_POST['fichier_notice'] ) : array(); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- validated below.
		// phpcs:enable
		if ( ! is_array( $consent ) || ! is_array( $notices ) ) {
			return new WP_Error( 'fichier_consent', __( 'The consent choices could not be read; please try again.', 'fichier' ) );
		}
		$configured = Fichier_WP::settings()['purposes'];
		$out        = array();
		foreach ( $consent as $purpose => $value ) {
			$purpose = (string) $purpose;
			if ( ! in_array( $purpose, $configured, true ) || '1' !== $value ) {
				return new WP_Error( 'fichier_consent', __( 'The consent choices could not be read; please try again.', 'fichier' ) );
			}
			$notice = $notices[ $purpose ] ?? null;
			if ( ! is_string( $notice ) || ! preg_match( self::NOTICE_RE, $notice, $m ) || ! in_array( $purpose, explode( '+', $m[1] ), true ) ) {
				return new WP_Error( 'fichier_consent', __( 'The information shown with a consent box could not be identified; please reload the page.', 'fichier' ) );
			}
			$out[ $purpose ] = $notice;
		}
		return $out;
	}

	/** `woocommerce_checkout_process`: refuse a checkout whose consent fields are malformed. */
	public static function validate() {
		$ticked = self::ticked();
		if ( is_wp_error( $ticked ) && function_exists( 'wc_add_notice' ) ) {
			wc_add_notice( $ticked->get_error_message(), 'error' );
		}
	}

	/**
	 * An order is a contact the customer initiated: their record's retention counts from it
	 * (an account's inactivity, the marketing use of a customer's data: GDPR.md, CNIL
	 * délibération 2021-131). Without it, fichier's sweep would take an ordering customer for
	 * an inactive one. A buyer fichier's file does not hold (`404`) is no failure.
	 *
	 * @param string       $email The order's billing e-mail.
	 * @param WC_Order|obj $order The order (for a note when fichier fails).
	 */
	private static function contact( $email, $order ) {
		$r = Fichier_WP::api(
			'POST',
			'/v1/customers/events',
			array(
				'subject' => Fichier_WP::by_email( $email ),
				'event'   => 'contact',
				'at'      => null,
			)
		);
		if ( ! is_wp_error( $r ) && ( $r->isOk() || 404 === $r->status ) ) {
			return;
		}
		if ( is_wp_error( $r ) && 'fichier_no_key' === $r->get_error_code() ) {
			return; // Not set up yet: nothing to note on every order.
		}
		$why = is_wp_error( $r ) ? $r->get_error_message() : Fichier_WP::problem( $r )->get_error_message();
		if ( method_exists( $order, 'add_order_note' ) ) {
			/* translators: %s: error */
			$order->add_order_note( sprintf( __( 'fichier could not record this order as the customer\'s last contact: %s', 'fichier' ), $why ) );
		}
	}

	/**
	 * `woocommerce_checkout_order_processed`: the order as the customer's last contact, and
	 * one `grant` receipt per ticked box.
	 *
	 * @param int          $order_id    Order id.
	 * @param array        $posted_data WooCommerce's posted checkout data.
	 * @param WC_Order|obj $order       The order.
	 */
	public static function record( $order_id, $posted_data, $order ) {
		unset( $posted_data );
		$email = self::billing_email( $order );
		if ( '' === $email ) {
			return;
		}
		self::contact( $email, $order );
		$ticked = self::ticked();
		if ( is_wp_error( $ticked ) || array() === $ticked ) {
			return;
		}
		$ip  = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : null;
		$ua  = isset( $_SERVER['HTTP_USER_AGENT'] ) ? substr( sanitize_text_field( wp_unslash( $_SERVER['HTTP_USER_AGENT'] ) ), 0, 1024 ) : null;
		$gpc = isset( $_SERVER['HTTP_SEC_GPC'] ) && '1' === $_SERVER['HTTP_SEC_GPC'];
		$ids = array();
		foreach ( $ticked as $purpose => $notice ) {
			$receipt_id = 'wc-' . absint( $order_id ) . '-' . $purpose;
			$r          = Fichier_WP::api(
				'POST',
				'/v1/consent/receipts',
				array(
					'subject'    => Fichier_WP::by_email( $email ),
					'purpose'    => $purpose,
					'decision'   => 'grant',
					'given-by'   => 'subject',
					'channel'    => 'checkout',
					'notice'     => $notice,
					'at'         => null,
					'receipt-id' => $receipt_id,
					'client-ip'  => $ip,
					'user-agent' => $ua,
					'gpc'        => $gpc,
					'age'        => null,
				),
				$ip
			);
			$already = ! is_wp_error( $r ) && 409 === $r->status && 'unique-per-subject' === ( json_decode( $r->body, true )['rule'] ?? null );
			if ( ! is_wp_error( $r ) && ( $r->isOk() || $already ) ) {
				$ids[] = $receipt_id;
				continue;
			}
			$why = is_wp_error( $r ) ? $r->get_error_message() : Fichier_WP::problem( $r )->get_error_message();
			if ( method_exists( $order, 'add_order_note' ) ) {
				/* translators: 1: purpose, 2: error */
				$order->add_order_note( sprintf( __( 'fichier could not record the consent to %1$s: %2$s', 'fichier' ), $purpose, $why ) );
			}
		}
		if ( method_exists( $order, 'update_meta_data' ) ) {
			$order->update_meta_data( '_fichier_consent_receipts', $ids );
			$order->save();
		}
	}
}
