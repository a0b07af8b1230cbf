import { defineConfig } from 'vite';

/** The harness page is served from any path of another origin by the compatibility suite, hence the relative base. */
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
