export const name = 'invalidation notifications';

/**
 * Every change to a row that an in-process cache depends on announces itself on the
 * `quarry_invalidate` channel when its transaction commits. Triggers, not application
 * code, so no write path (including manual SQL) can forget to.
 */
export const sql = /* sql */ `
CREATE FUNCTION quarry_notify_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  r := COALESCE(NEW, OLD);
  IF TG_TABLE_NAME = 'sources' THEN
    PERFORM pg_notify('quarry_invalidate', 'workspace:' || r.workspace_id);
    IF TG_OP = 'UPDATE' AND OLD.workspace_id <> NEW.workspace_id THEN
      PERFORM pg_notify('quarry_invalidate', 'workspace:' || OLD.workspace_id);
    END IF;
  ELSIF TG_TABLE_NAME = 'api_tokens' THEN
    PERFORM pg_notify('quarry_invalidate', 'token:' || r.id);
  ELSIF TG_TABLE_NAME = 'accounts' THEN
    PERFORM pg_notify('quarry_invalidate', 'account:' || r.id);
  ELSIF TG_TABLE_NAME = 'workspace_members' THEN
    PERFORM pg_notify('quarry_invalidate', 'account:' || r.account_id);
  ELSIF TG_TABLE_NAME = 'workspaces' THEN
    PERFORM pg_notify('quarry_invalidate', 'workspace:' || r.id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER sources_invalidate AFTER INSERT OR UPDATE OR DELETE ON sources
  FOR EACH ROW EXECUTE FUNCTION quarry_notify_invalidate();
CREATE TRIGGER api_tokens_invalidate AFTER UPDATE OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION quarry_notify_invalidate();
CREATE TRIGGER accounts_invalidate AFTER UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION quarry_notify_invalidate();
CREATE TRIGGER workspace_members_invalidate AFTER INSERT OR UPDATE OR DELETE ON workspace_members
  FOR EACH ROW EXECUTE FUNCTION quarry_notify_invalidate();
CREATE TRIGGER workspaces_invalidate AFTER UPDATE OR DELETE ON workspaces
  FOR EACH ROW EXECUTE FUNCTION quarry_notify_invalidate();
`;
