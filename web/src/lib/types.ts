// The API's resources, as GET /api/v1/openapi.json describes them (only what the console reads).

export interface Workspace {
  id: string;
  organization_id: string;
  name: string;
}

export type JsonSchema = Record<string, unknown>;

export interface SourceType {
  source_type: string;
  label: string;
  description: string;
  creatable_via_api: boolean;
  config_schema: JsonSchema;
  secret_fields: string[];
}

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface TestStep {
  name: string;
  status: StepStatus;
  message: string;
  duration_ms: number;
  fix?: string;
}

export interface Source {
  id: string;
  workspace_id: string;
  name: string;
  source_type: string;
  config: Record<string, unknown>;
  connection_id: string | null;
  status: 'pending' | 'connected' | 'error';
  status_error: string;
  created_at: string;
  updated_at: string;
  last_test_results: { steps: TestStep[] } | null;
  last_test_succeeded: boolean | null;
  last_tested_at: string | null;
}

export type SyncMode = 'full_refresh' | 'incremental';

export interface Stream {
  name: string;
  columns: { name: string; type: string; nullable: boolean; source_type?: string }[];
  primary_key: string[];
  cursor_field: string | null;
  cursor_candidates: string[];
  supported_sync_modes: SyncMode[];
}

export interface LoaderType {
  loader_type: string;
  label: string;
  description: string;
  creatable_via_api: boolean;
  config_schema: JsonSchema;
  secret_fields: string[];
  streams: Stream[] | null;
  streams_depend_on_config: boolean;
}

export interface SelectedStream {
  name: string;
  sync_mode: SyncMode;
  cursor_field?: string;
  primary_key?: string[];
}

export type LoaderStatus = 'draft' | 'active' | 'paused' | 'error';

export interface Loader {
  id: string;
  workspace_id: string;
  source_id: string;
  name: string;
  loader_type: string;
  config: Record<string, unknown>;
  target_schema: string;
  selected_streams: SelectedStream[];
  sync_mode: SyncMode;
  schedule: string | null;
  status: LoaderStatus;
  status_error: string;
  created_at: string;
  updated_at: string;
  last_run_at: string | null;
  last_run_id: string | null;
  next_run_at: string | null;
}

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Run {
  id: string;
  loader_id: string;
  status: RunStatus;
  started_at: string | null;
  completed_at: string | null;
  rows_loaded: number;
  streams_total: number;
  streams_failed: number;
  error_message: string;
  triggered_by: string | null;
  created_at: string;
  scheduled_for: string | null;
  cancel_requested_at: string | null;
}

export interface RunStream {
  stream: string;
  status: string;
  sync_mode: SyncMode;
  rows_loaded: number;
  bytes: number;
  duration_ms: number;
  cursor: string | null;
  error_message: string;
}

export interface RunDetail extends Run {
  streams: RunStream[];
}

export const ACTIVE_RUN: readonly RunStatus[] = ['pending', 'running'];
