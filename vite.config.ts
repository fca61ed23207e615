/**
 * Builds the dashboard's front end (web/) into dist/dashboard-ui, which kubefed-controller-manager
 * serves (src/dashboard/server.ts). Everything is bundled: no CDN or font is fetched at run time.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  // Relative asset URLs: the page works under any path prefix (e.g. behind kubectl proxy).
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/dashboard-ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // A small app: one script, one stylesheet.
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});
