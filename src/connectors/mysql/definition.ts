import Type from 'typebox';
import type { ConnectorDefinition } from '../types.js';
import { connectionFields } from '../../lib/database-connection.js';

export const mysql: ConnectorDefinition = {
  type: 'mysql',
  label: 'MySQL / MariaDB',
  description: 'Tables and views of a MySQL or MariaDB database (also Amazon RDS, Aurora MySQL, Cloud SQL, Azure Database for MySQL, PlanetScale).',
  creatableViaApi: true,
  streams: null,
  configSchema: Type.Object(
    {
      ...connectionFields({ port: 3306, database: 'The database (schema) whose tables and views become streams' }),
    },
    { additionalProperties: false },
  ),
  load: async () => (await import('./connector.js')).connector,
};
