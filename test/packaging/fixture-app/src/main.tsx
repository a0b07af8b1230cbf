// A customer's React page, built with Vite from the packed tarballs: sign in with a user token, list the project's
// integrations and whether the connected user has connected each one.
import { createRoot } from 'react-dom/client';
import { switchboard, type SwitchboardError } from '@switchboard/sdk';
import { SwitchboardProvider, useIntegrationMetadata, useSwitchboardUser } from '@switchboard/react';

function Integrations() {
  const user = useSwitchboardUser();
  const integrations = useIntegrationMetadata();
  if (!user.authenticated) return <p data-testid="signed-out">Signing in…</p>;
  return (
    <main>
      <h1>
        Integrations of <span data-testid="user-id">{user.userId}</span>
      </h1>
      <ul>
        {integrations.map((integration) => {
          const connected = user.integrations[integration.type]?.enabled === true;
          return (
            <li key={integration.type} data-testid="integration" data-type={integration.type} data-connected={String(connected)}>
              {integration.name}: {connected ? 'Connected' : 'Not connected'}
            </li>
          );
        })}
      </ul>
    </main>
  );
}

// The test hands the page its server, project and user token in the fragment, which never reaches a server.
const params = new URLSearchParams(window.location.hash.slice(1));
switchboard.configureGlobal({ host: params.get('host') ?? '' });
createRoot(document.getElementById('root')!).render(
  <SwitchboardProvider sdk={switchboard}>
    <Integrations />
  </SwitchboardProvider>,
);
switchboard.authenticate(params.get('projectId') ?? '', params.get('token') ?? '').catch((error: SwitchboardError) => {
  document.body.dataset.error = error.code;
});
