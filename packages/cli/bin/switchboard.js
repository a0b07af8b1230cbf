#!/usr/bin/env node
// A committed entry point, so npm can link the `switchboard` command before the TypeScript is built.
import '../dist/bin.js';
