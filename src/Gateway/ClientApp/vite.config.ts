import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The app is served by the Gateway from its wwwroot: `dotnet build` runs `npm run build` when sources change.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: '../wwwroot',
    emptyOutDir: true,
    // No inline scripts or styles: the Gateway's CSP allows only the app's own files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': 'http://localhost:5080',
      '/hubs': { target: 'http://localhost:5080', ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
