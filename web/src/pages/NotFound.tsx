import { Link } from 'react-router';
import { Page } from '../components/ui';

export function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        There is nothing at this address. <Link to="/">Go to the console's start</Link>.
      </p>
    </Page>
  );
}
