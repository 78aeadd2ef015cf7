<?php
/**
 * Settings → fichier.
 *
 * @package fichier
 */

defined( 'ABSPATH' ) || exit;

/**
 * The settings page (capability `manage_options`, Settings API, its nonce): transport, data
 * file or remote URL, API key (never shown back in full), checkout purposes, banner, language.
 * Bad settings are refused with a message and the saved ones are kept.
 */
final class Fichier_WP_Settings {

	const PAGE  = 'fichier';
	const GROUP = 'fichier';

	/** Hook in. */
	public static function register() {
		add_action( 'admin_init', array( __CLASS__, 'admin_init' ) );
		add_action( 'admin_menu', array( __CLASS__, 'admin_menu' ) );
	}

	/** Register the setting and its validation. */
	public static function admin_init() {
		register_setting(
			self::GROUP,
			Fichier_WP::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'validate' ),
				'show_in_rest'      => false,
				'default'           => array(),
			)
		);
	}

	/** Add the page under Settings. */
	public static function admin_menu() {
		add_options_page( __( 'fichier', 'fichier' ), __( 'fichier', 'fichier' ), 'manage_options', self::PAGE, array( __CLASS__, 'render' ) );
	}

	/**
	 * Validate a submitted form; on any error, say so and keep the saved settings.
	 *
	 * @param mixed $input The submitted value.
	 * @return array
	 */
	public static function validate( $input ) {
		$old = Fichier_WP::settings();
		if ( ! is_array( $input ) ) {
			add_settings_error( Fichier_WP::OPTION, 'fichier_input', __( 'The settings could not be read.', 'fichier' ) );
			return $old;
		}
		$errors = array();
		$new    = $old;

		$transport = isset( $input['transport'] ) ? sanitize_text_field( (string) $input['transport'] ) : '';
		if ( ! in_array( $transport, array( 'in-process', 'http' ), true ) ) {
			$errors[] = __( 'Transport: choose in-process or http.', 'fichier' );
		}
		$new['transport'] = $transport;

		$db = isset( $input['db_path'] ) ? trim( sanitize_text_field( (string) $input['db_path'] ) ) : '';
		// Empty: the site's own database. A path: a SQLite file instead.
		if ( 'in-process' === $transport && '' !== $db ) {
			if ( '/' !== $db[0] ) {
				$errors[] = __( 'Data file: give an absolute path (the SQLite file fichier keeps), or leave it empty for the site\'s database.', 'fichier' );
			} elseif ( ! is_dir( dirname( $db ) ) || ! wp_is_writable( dirname( $db ) ) ) {
				$errors[] = __( 'Data file: its directory must exist and be writable by the web server.', 'fichier' );
			}
		}
		$new['db_path'] = $db;

		$lib = isset( $input['library'] ) ? trim( sanitize_text_field( (string) $input['library'] ) ) : '';
		if ( 'in-process' === $transport && '' !== $lib && ( '/' !== $lib[0] || ! is_readable( $lib ) ) ) {
			$errors[] = __( 'Library: give the absolute path of a readable libfichier_php.so, or leave it empty.', 'fichier' );
		}
		$new['library'] = $lib;

		$url = isset( $input['url'] ) ? trim( (string) $input['url'] ) : '';
		if ( 'http' === $transport ) {
			$p = wp_parse_url( $url );
			if ( ! is_array( $p ) || ! in_array( $p['scheme'] ?? '', array( 'http', 'https' ), true ) || empty( $p['host'] ) || isset( $p['query'] ) || isset( $p['fragment'] ) || isset( $p['user'] ) ) {
				$errors[] = __( 'Remote URL: give an absolute http:// or https:// URL without query, fragment or credentials.', 'fichier' );
			}
		}
		$new['url'] = esc_url_raw( $url, array( 'http', 'https' ) );

		$key = isset( $input['api_key'] ) ? trim( (string) $input['api_key'] ) : '';
		if ( '' !== $key ) {
			if ( ! preg_match( '/^fk_[0-9a-f]{8}_[0-9a-f]{64}$/', $key ) ) {
				$errors[] = __( 'API key: paste the whole key fichier printed (fk_…); leave the field empty to keep the saved one.', 'fichier' );
			} else {
				$new['api_key'] = $key;
			}
		}

		// A list when WordPress sanitizes an already saved value again (add_option does).
		$raw      = $input['purposes'] ?? '';
		$raw      = is_array( $raw ) ? implode( ',', array_map( 'strval', $raw ) ) : (string) $raw;
		$purposes = array();
		foreach ( preg_split( '/[\s,]+/', $raw, -1, PREG_SPLIT_NO_EMPTY ) as $p ) {
			if ( ! preg_match( '/^[a-z0-9][a-z0-9._-]{0,63}$/', $p ) ) {
				$errors[] = sprintf(
					/* translators: %s: the rejected id */
					__( 'Checkout purposes: %s is not a purpose id (a-z 0-9 . _ -, up to 64).', 'fichier' ),
					$p
				);
				continue;
			}
			$purposes[] = $p;
		}
		if ( count( $purposes ) > 16 ) {
			$errors[] = __( 'Checkout purposes: at most 16.', 'fichier' );
		}
		$new['purposes'] = array_values( array_unique( $purposes ) );

		$new['banner'] = ! empty( $input['banner'] );

		$lang = isset( $input['lang'] ) ? sanitize_text_field( (string) $input['lang'] ) : '';
		if ( ! in_array( $lang, array( 'fr', 'en' ), true ) ) {
			$errors[] = __( 'Language: fr or en.', 'fichier' );
		}
		$new['lang'] = $lang;

		if ( array() === $errors && $new !== $old ) {
			$errors = self::try_settings( $new );
		}
		if ( array() !== $errors ) {
			// settings_errors() prints messages as they are: escape them here.
			foreach ( $errors as $i => $message ) {
				add_settings_error( Fichier_WP::OPTION, 'fichier_invalid_' . $i, esc_html( $message ) );
			}
			add_settings_error( Fichier_WP::OPTION, 'fichier_kept', esc_html__( 'Nothing was saved: the previous settings are kept.', 'fichier' ) );
			return $old;
		}
		return $new;
	}

	/**
	 * Whether fichier answers with these settings, and knows their API key.
	 *
	 * @param array $s Settings.
	 * @return list<string> What is wrong.
	 */
	private static function try_settings( array $s ) {
		try {
			$headers = '' === $s['api_key'] ? array() : array( 'authorization' => 'Bearer ' . $s['api_key'] );
			$client  = Fichier_WP::client( $s );
			$r       = $client->request( 'GET', '/v1/purposes', $headers );
		} catch ( Throwable $e ) {
			/* translators: %s: the error */
			return array( sprintf( __( 'fichier cannot be reached with these settings: %s', 'fichier' ), $e->getMessage() ) );
		}
		if ( 401 === $r->status ) {
			return array( __( 'API key: fichier does not know this key (or it was revoked).', 'fichier' ) );
		}
		if ( ! $r->isOk() ) {
			return array( Fichier_WP::problem( $r )->get_error_message() );
		}
		return array();
	}

	/** The page. */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage these options.', 'fichier' ), 403 );
		}
		$s   = Fichier_WP::settings();
		$opt = Fichier_WP::OPTION;
		?>
		<div class="wrap">
			<h1><?php esc_html_e( 'fichier', 'fichier' ); ?></h1>
			<?php self::render_status( $s ); ?>
			<form method="post" action="options.php">
				<?php settings_fields( self::GROUP ); ?>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><?php esc_html_e( 'Transport', 'fichier' ); ?></th>
						<td>
							<label><input type="radio" name="<?php echo esc_attr( $opt ); ?>[transport]" value="in-process" <?php checked( $s['transport'], 'in-process' ); ?> /> <?php esc_html_e( 'In-process (the component in PHP, through FFI)', 'fichier' ); ?></label><br />
							<label><input type="radio" name="<?php echo esc_attr( $opt ); ?>[transport]" value="http" <?php checked( $s['transport'], 'http' ); ?> /> <?php esc_html_e( 'Remote (a fichier server or Spin deployment)', 'fichier' ); ?></label>
						</td>
					</tr>
					<tr>
						<th scope="row"><label for="fichier_db_path"><?php esc_html_e( 'Data file (in-process)', 'fichier' ); ?></label></th>
						<td><input type="text" class="regular-text code" id="fichier_db_path" name="<?php echo esc_attr( $opt ); ?>[db_path]" value="<?php echo esc_attr( $s['db_path'] ); ?>" />
						<p class="description"><?php esc_html_e( 'Empty (the default): fichier keeps its data in the site\'s own database, in its tables <prefix>fichier_data and <prefix>fichier_keys, with the credentials of wp-config.php; every PHP worker and every front end of the site shares it. A path: the absolute path of a SQLite file instead, outside the web root; when set, it wins. The master key comes from FICHIER_MASTER_KEY (wp-config.php or the environment), or with a SQLite file the key file next to it — never from a database.', 'fichier' ); ?></p></td>
					</tr>
					<tr>
						<th scope="row"><label for="fichier_library"><?php esc_html_e( 'Library (in-process)', 'fichier' ); ?></label></th>
						<td><input type="text" class="regular-text code" id="fichier_library" name="<?php echo esc_attr( $opt ); ?>[library]" value="<?php echo esc_attr( $s['library'] ); ?>" />
						<p class="description"><?php esc_html_e( 'Path of libfichier_php.so; empty: FICHIER_PHP_LIB.', 'fichier' ); ?></p></td>
					</tr>
					<tr>
						<th scope="row"><label for="fichier_url"><?php esc_html_e( 'Remote URL (http)', 'fichier' ); ?></label></th>
						<td><input type="url" class="regular-text code" id="fichier_url" name="<?php echo esc_attr( $opt ); ?>[url]" value="<?php echo esc_attr( $s['url'] ); ?>" /></td>
					</tr>
					<tr>
						<th scope="row"><label for="fichier_api_key"><?php esc_html_e( 'API key', 'fichier' ); ?></label></th>
						<td><input type="password" class="regular-text code" id="fichier_api_key" name="<?php echo esc_attr( $opt ); ?>[api_key]" value="" autocomplete="off" />
						<p class="description">
						<?php
						if ( '' === $s['api_key'] ) {
							esc_html_e( 'None saved. Create one with: fichier api-key create --name wordpress --key-role admin', 'fichier' );
						} else {
							/* translators: %s: the key's public id */
							echo esc_html( sprintf( __( 'Saved: key %s (leave empty to keep it).', 'fichier' ), substr( $s['api_key'], 0, 11 ) . '…' ) );
						}
						?>
						</p></td>
					</tr>
					<tr>
						<th scope="row"><label for="fichier_purposes"><?php esc_html_e( 'Checkout purposes', 'fichier' ); ?></label></th>
						<td><input type="text" class="regular-text code" id="fichier_purposes" name="<?php echo esc_attr( $opt ); ?>[purposes]" value="<?php echo esc_attr( implode( ', ', $s['purposes'] ) ); ?>" />
						<p class="description"><?php esc_html_e( 'Purpose ids declared in fichier, comma-separated: one unticked box each at checkout, with its notice in the language below.', 'fichier' ); ?></p></td>
					</tr>
					<tr>
						<th scope="row"><?php esc_html_e( 'Cookie banner', 'fichier' ); ?></th>
						<td><label><input type="checkbox" name="<?php echo esc_attr( $opt ); ?>[banner]" value="1" <?php checked( $s['banner'] ); ?> /> <?php esc_html_e( 'Show fichier\'s cookie banner on the shop\'s pages', 'fichier' ); ?></label></td>
					</tr>
					<tr>
						<th scope="row"><label for="fichier_lang"><?php esc_html_e( 'Language', 'fichier' ); ?></label></th>
						<td><select id="fichier_lang" name="<?php echo esc_attr( $opt ); ?>[lang]">
							<option value="fr" <?php selected( $s['lang'], 'fr' ); ?>>français</option>
							<option value="en" <?php selected( $s['lang'], 'en' ); ?>>English</option>
						</select></td>
					</tr>
				</table>
				<?php submit_button(); ?>
			</form>
		</div>
		<?php
	}

	/**
	 * Whether fichier answers with the saved settings.
	 *
	 * @param array $s Settings.
	 */
	private static function render_status( array $s ) {
		if ( 'http' === $s['transport'] && '' === $s['url'] ) {
			echo '<div class="notice notice-warning inline"><p>' . esc_html__( 'fichier is not configured yet.', 'fichier' ) . '</p></div>';
			return;
		}
		$r = Fichier_WP::api( 'GET', '/v1/purposes' );
		if ( is_wp_error( $r ) ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( $r->get_error_message() ) . '</p></div>';
		} elseif ( ! $r->isOk() ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( Fichier_WP::problem( $r )->get_error_message() ) . '</p></div>';
		} else {
			printf(
				'<div class="notice notice-success inline" data-fichier-status="ok"><p>%s</p></div>',
				/* translators: 1: transport, 2: number of purposes */
				esc_html( sprintf( __( 'fichier answers (%1$s): %2$d purpose(s) declared.', 'fichier' ), $s['transport'], count( (array) $r->json() ) ) )
			);
			if ( 'in-process' === $s['transport'] ) {
				/* translators: %s: where the data is (a database and its tables, or a file) */
				echo '<p data-fichier-data>' . esc_html( sprintf( __( 'Data: %s.', 'fichier' ), Fichier_WP::data_place( $s ) ) ) . '</p>';
			}
		}
	}
}
