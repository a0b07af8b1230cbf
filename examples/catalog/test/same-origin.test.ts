import { describeCatalogFlows } from './support/catalog-flows.js';

// The demo as `npm start` serves it: a page of the Switchboard server, bundling the SDK's ESM build.
describeCatalogFlows('same-origin');
