import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_invalidation.js';
import * as m0003 from './0003_source_tests.js';
import * as m0004 from './0004_loaders.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append only: a released migration is never edited, a change is a new entry. */
export const migrations: Migration[] = [
  { version: 1, ...m0001 },
  { version: 2, ...m0002 },
  { version: 3, ...m0003 },
  { version: 4, ...m0004 },
];
