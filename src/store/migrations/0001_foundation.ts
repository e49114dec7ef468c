export const name = 'foundation';

export const sql = /* sql */ `
CREATE TABLE quarry_settings (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name text NOT NULL,
  email text,
  role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (organization_id, email)
);

CREATE TABLE workspaces (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name text NOT NULL,
  created_by uuid REFERENCES accounts(id) ON DELETE SET NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX workspaces_org_page ON workspaces (organization_id, created_at, id);

-- Admins reach every workspace of their organization; members and viewers only these.
CREATE TABLE workspace_members (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  PRIMARY KEY (workspace_id, account_id)
);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name text NOT NULL,
  token_prefix text NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  last_used_at timestamptz(3),
  revoked_at timestamptz(3)
);

-- Shared connections: credentials an organization reuses across sources. Their API comes
-- later; sources can already reference them.
CREATE TABLE connections (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name text NOT NULL,
  connection_type text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}',
  secret_config text,
  secret_keys text[] NOT NULL DEFAULT '{}',
  created_by uuid REFERENCES accounts(id) ON DELETE SET NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE sources (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL,
  source_type text NOT NULL,
  -- the config without its secret fields; those live encrypted in secret_config
  config jsonb NOT NULL,
  secret_config text,
  -- which secret fields are set, so responses can mask them without decrypting
  secret_keys text[] NOT NULL DEFAULT '{}',
  connection_id uuid REFERENCES connections(id) ON DELETE RESTRICT,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'connected', 'error')),
  status_error text NOT NULL DEFAULT '',
  created_by uuid NOT NULL REFERENCES accounts(id),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX sources_ws_page ON sources (workspace_id, created_at, id);
`;
