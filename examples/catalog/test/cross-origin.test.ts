import { describeCatalogFlows } from './support/catalog-flows.js';

// The demo as a customer's app on another origin: it loads /switchboard.js from the Switchboard server by script tag.
describeCatalogFlows('cross-origin');
