// No @vitejs/plugin-react: Vite's own transform compiles the JSX with React's automatic runtime.
export default {
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true },
  logLevel: 'warn',
};
