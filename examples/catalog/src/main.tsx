import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { SwitchboardProvider } from '@switchboard/react';
import { App } from './App.js';
import { boot } from './boot.js';
import { BootError, Booting } from './components/BootScreens.js';
import './styles.css';
import './theme-dark.css';

const root = createRoot(document.getElementById('root')!);
const params = new URLSearchParams(window.location.search);

root.render(<Booting />);
boot(params).then(
  ({ sdk, host, build, session }) => {
    root.render(
      <StrictMode>
        <SwitchboardProvider sdk={sdk}>
          <App
            host={host}
            build={build}
            projectId={session.projectId}
            userToken={session.userToken}
            deepLink={params.get('connect') ?? undefined}
            params={params}
          />
        </SwitchboardProvider>
      </StrictMode>,
    );
  },
  (error: unknown) => root.render(<BootError error={error} />),
);
