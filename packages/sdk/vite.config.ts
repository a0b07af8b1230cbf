import { defineConfig } from 'vite';

/**
 * Two builds of the same SDK: `vite build` makes the ESM module (dist/switchboard.js) and `vite build --mode global`
 * the script-tag build (dist/switchboard.global.js) that the server serves at /switchboard.js. Both minified, with
 * source maps; `npm run size` measures them.
 */
export default defineConfig(({ mode }) => {
  const global = mode === 'global';
  return {
    build: {
      emptyOutDir: false,
      // The server serves the script-tag build as /switchboard.js and names its map in a SourceMap header.
      sourcemap: global ? 'hidden' : true,
      target: 'es2022',
      minify: true,
      // Vite keeps whitespace in ES library builds; the shipped module is fully minified, as its size budget assumes.
      rolldownOptions: { output: { minify: true } },
      lib: global
        ? { entry: 'src/global.ts', formats: ['iife'], name: 'switchboardGlobal', fileName: () => 'switchboard.global.js' }
        : { entry: 'src/index.ts', formats: ['es'], fileName: () => 'switchboard.js' },
    },
  };
});
