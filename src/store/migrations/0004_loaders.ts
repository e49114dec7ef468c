export const name = 'loaders and runs';

export const sql = /* sql */ `
CREATE TABLE loaders (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  -- the warehouse loaded into; a source with loaders cannot be deleted (see store/dependents.ts)
  source_id uuid NOT NULL REFERENCES sources(id) ON DELETE RESTRICT,
  name text NOT NULL,
  loader_type text NOT NULL,
  config jsonb NOT NULL,
  secret_config text,
  secret_keys text[] NOT NULL DEFAULT '{}',
  target_schema text NOT NULL,
  selected_streams jsonb NOT NULL,
  sync_mode text NOT NULL CHECK (sync_mode IN ('full_refresh', 'incremental')),
  schedule text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'paused', 'error')),
  status_error text NOT NULL DEFAULT '',
  consecutive_failures integer NOT NULL DEFAULT 0,
  -- the last cron occurrence a run was created for: a tick fires each occurrence once
  last_scheduled_for timestamptz(3),
  created_by uuid NOT NULL REFERENCES accounts(id),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  last_run_at timestamptz(3),
  last_run_id uuid
);
CREATE INDEX loaders_ws_page ON loaders (workspace_id, created_at, id);
CREATE INDEX loaders_scheduled ON loaders (status) WHERE schedule IS NOT NULL;

CREATE TABLE loader_runs (
  id uuid PRIMARY KEY,
  loader_id uuid NOT NULL REFERENCES loaders(id) ON DELETE CASCADE,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  started_at timestamptz(3),
  completed_at timestamptz(3),
  rows_loaded bigint NOT NULL DEFAULT 0,
  streams_total integer NOT NULL DEFAULT 0,
  streams_failed integer NOT NULL DEFAULT 0,
  error_message text NOT NULL DEFAULT '',
  triggered_by uuid REFERENCES accounts(id) ON DELETE SET NULL,
  job_id text,
  scheduled_for timestamptz(3),
  heartbeat_at timestamptz(3),
  cancel_requested_at timestamptz(3),
  worker text,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX loader_runs_page ON loader_runs (loader_id, created_at DESC, id DESC);
-- one active run per loader: a second trigger is a conflict, never a second run
CREATE UNIQUE INDEX loader_runs_one_active ON loader_runs (loader_id) WHERE status IN ('pending', 'running');
-- a cron occurrence creates at most one run, however many schedulers saw it
CREATE UNIQUE INDEX loader_runs_one_per_tick ON loader_runs (loader_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX loader_runs_running ON loader_runs (heartbeat_at) WHERE status = 'running';

CREATE TABLE loader_run_streams (
  run_id uuid NOT NULL REFERENCES loader_runs(id) ON DELETE CASCADE,
  stream text NOT NULL,
  position integer NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  sync_mode text NOT NULL,
  rows_loaded bigint NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  duration_ms integer NOT NULL DEFAULT 0,
  cursor text,
  error_message text NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, stream)
);

-- A copy of each stream's cursor for the API; the warehouse's _quarry_state table, written
-- in the same transaction as the data, is what a run resumes from.
CREATE TABLE loader_stream_state (
  loader_id uuid NOT NULL REFERENCES loaders(id) ON DELETE CASCADE,
  stream text NOT NULL,
  cursor text,
  run_id uuid,
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (loader_id, stream)
);
`;
