<?php
/**
 * WooCommerce STAND-IN — test only, not WooCommerce.
 *
 * WooCommerce is in no package registry reachable from the test machines, so this fires the
 * hooks WooCommerce documents for its checkout, in the order WC_Checkout::process_checkout
 * fires them, with a fake order:
 *   GET  /?fichier-wc-standin=checkout  renders a checkout form and fires
 *        `woocommerce_review_order_before_submit` (templates/checkout/payment.php) inside it;
 *   POST /?fichier-wc-standin=checkout  checks the `woocommerce-process_checkout` nonce as
 *        WooCommerce does, fires `woocommerce_checkout_process`, stops with the error notices
 *        if any (as WooCommerce does), else makes a fake order and fires
 *        `woocommerce_checkout_order_processed( $order_id, $posted_data, $order )`; answers
 *        JSON (the order's id, its meta, the notices).
 *   POST /?fichier-wc-standin=block-checkout  makes a fake order and fires what the block-based
 *        checkout (the Store API) fires, `woocommerce_store_api_checkout_order_processed( $order )`;
 *        answers the same JSON.
 *
 * @package fichier-test
 */

if ( ! function_exists( 'wc_add_notice' ) ) {
	/**
	 * Stand-in of WooCommerce's wc_add_notice().
	 *
	 * @param string $message Message.
	 * @param string $type    Type.
	 */
	function wc_add_notice( $message, $type = 'success' ) {
		$GLOBALS['fichier_wc_standin_notices'][] = array(
			'type'    => $type,
			'message' => $message,
		);
	}
}

/** Stand-in of WC_Order: what the plugin uses of it. */
final class Fichier_WC_Standin_Order {
	/** @var int */
	private $id;
	/** @var string */
	private $email;
	/** @var array */
	public $meta = array();
	/** @var list<string> */
	public $notes = array();
	/** @var int */
	public $saved = 0;

	/**
	 * @param int    $id    Order id.
	 * @param string $email Billing e-mail.
	 */
	public function __construct( $id, $email ) {
		$this->id    = $id;
		$this->email = $email;
	}
	/** @return int */
	public function get_id() {
		return $this->id;
	}
	/** @return string */
	public function get_billing_email() {
		return $this->email;
	}
	/**
	 * @param string $key   Key.
	 * @param mixed  $value Value.
	 */
	public function update_meta_data( $key, $value ) {
		$this->meta[ $key ] = $value;
	}
	/** @param string $note Note. */
	public function add_order_note( $note ) {
		$this->notes[] = $note;
	}
	/** @return int */
	public function save() {
		++$this->saved;
		return $this->id;
	}
}

add_action(
	'init',
	static function () {
		if ( ! isset( $_GET['fichier-wc-standin'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			return;
		}
		$GLOBALS['fichier_wc_standin_notices'] = array();
		if ( 'POST' !== $_SERVER['REQUEST_METHOD'] ) {
			header( 'content-type: text/html; charset=utf-8' );
			echo '<!DOCTYPE html><html><body><form method="post" id="standin-checkout">';
			wp_nonce_field( 'woocommerce-process_checkout', 'woocommerce-process-checkout-nonce' );
			echo '<input type="email" name="billing_email" />';
			do_action( 'woocommerce_review_order_before_submit' );
			echo '<button type="submit" name="woocommerce_checkout_place_order">Place order</button></form></body></html>';
			exit;
		}
		header( 'content-type: application/json' );
		// A fake order for the posted billing e-mail; its id, meta and notes as the answer.
		$place_order = static function ( callable $fire ) {
			$order_id = (int) get_option( 'fichier_wc_standin_next_order', 1000 ) + 1;
			update_option( 'fichier_wc_standin_next_order', $order_id );
			$email = isset( $_POST['billing_email'] ) ? sanitize_email( wp_unslash( $_POST['billing_email'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked by the caller where WooCommerce checks it.
			$order = new Fichier_WC_Standin_Order( $order_id, $email );
			$fire( $order_id, $email, $order );
			echo wp_json_encode(
				array(
					'order' => $order_id,
					'meta'  => $order->meta,
					'notes' => $order->notes,
					'saved' => $order->saved,
				)
			);
			exit;
		};
		if ( 'block-checkout' === $_GET['fichier-wc-standin'] ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			$place_order(
				static function ( $order_id, $email, $order ) {
					do_action( 'woocommerce_store_api_checkout_order_processed', $order );
				}
			);
		}
		$nonce = isset( $_POST['woocommerce-process-checkout-nonce'] ) ? sanitize_text_field( wp_unslash( $_POST['woocommerce-process-checkout-nonce'] ) ) : '';
		if ( ! wp_verify_nonce( $nonce, 'woocommerce-process_checkout' ) ) {
			http_response_code( 403 );
			echo wp_json_encode( array( 'error' => 'nonce' ) );
			exit;
		}
		do_action( 'woocommerce_checkout_process' );
		$errors = array_values(
			array_filter(
				$GLOBALS['fichier_wc_standin_notices'],
				static function ( $n ) {
					return 'error' === $n['type'];
				}
			)
		);
		if ( array() !== $errors ) {
			http_response_code( 400 );
			echo wp_json_encode( array( 'notices' => $errors ) );
			exit;
		}
		$place_order(
			static function ( $order_id, $email, $order ) {
				do_action( 'woocommerce_checkout_order_processed', $order_id, array( 'billing_email' => $email ), $order );
			}
		);
	}
);
