/*
 * assets_loader.mjs - lets Node import the dashboard's modules as the
 * browser does.  The modules import each other by their served path
 * ('/assets/format.js'); this maps /assets/NAME.js to dashboard/js/NAME.js.
 *
 *   node --import ./tests/js/assets_loader.mjs --test tests/js/
 */
import { register } from 'node:module';

register('./assets_resolve.mjs', import.meta.url);
