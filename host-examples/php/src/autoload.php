<?php
// Loads every class of the Fichier PHP client (no Composer: require this file).
declare(strict_types=1);

require_once __DIR__ . '/FichierException.php';
require_once __DIR__ . '/Response.php';
require_once __DIR__ . '/Transport.php';
require_once __DIR__ . '/HttpTransport.php';
require_once __DIR__ . '/InProcessTransport.php';
require_once __DIR__ . '/Preload.php';
require_once __DIR__ . '/Client.php';
