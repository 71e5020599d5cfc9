import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer may not import node:* (lint), so locate this folder from import.meta.url.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root: here,
  base: './', // file:// in Electron and `/` on the console API both work with relative assets
  plugins: [react()],
  build: {
    outDir: `${here}../out/renderer`,
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1' },
});
