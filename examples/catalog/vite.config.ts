import { defineConfig } from 'vite';

/**
 * The demo is served by the Switchboard server at /demo/ (from dist/), hence the base. JSX goes through Vite's
 * built-in Oxc transform; no React plugin is needed for a production build.
 */
export default defineConfig({
  base: '/demo/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
