<?php
/**
 * The test theme's only template: a page with the head and footer hooks.
 *
 * @package fichier-test
 */

?><!DOCTYPE html>
<html <?php language_attributes(); ?>>
<head>
<meta charset="<?php bloginfo( 'charset' ); ?>">
<?php wp_head(); ?>
</head>
<body>
<h1><?php bloginfo( 'name' ); ?></h1>
<?php wp_footer(); ?>
</body>
</html>
