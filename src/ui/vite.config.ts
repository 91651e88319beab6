import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

/**
 * Builds the web app from src/ui into dist/ui, which src/api/ui.ts serves at `/`. Hashed files go
 * under `assets/` (served as immutable). During development `vite --config src/ui/vite.config.ts`
 * proxies the API to a server on 127.0.0.1:9797.
 */
export default defineConfig({
  root: here,
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../../dist/ui", import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:9797",
      "/-/": "http://127.0.0.1:9797",
    },
  },
});
