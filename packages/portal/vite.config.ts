import { defineConfig } from 'vite';

/**
 * The portal is served by the Switchboard server at /ui and /portal, its hashed files under /portal/assets/ (cached
 * for a year). JSX goes through Vite's built-in Oxc transform; no React plugin is needed for a production build.
 */
export default defineConfig({
  base: '/portal/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', modulePreload: { polyfill: false } },
});
