import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { startPortalBridge } from './protocol.js';
import './styles.css';

// Listening before React renders: the SDK's first UI_UPDATE comes with the iframe's load event.
const store = startPortalBridge();
createRoot(document.getElementById('root')!).render(<App store={store} />);
