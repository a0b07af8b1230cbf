/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** For `npm run dev`: the Switchboard server the demo signs in to, e.g. http://localhost:4000. */
  readonly VITE_SWITCHBOARD_HOST?: string;
}
