export const name = 'source connection test results';

/** The last connection test of a source, as the Census peer records it (ordered steps). */
export const sql = /* sql */ `
ALTER TABLE sources
  ADD COLUMN last_test_results jsonb,
  ADD COLUMN last_test_succeeded boolean,
  ADD COLUMN last_tested_at timestamptz(3);
`;
