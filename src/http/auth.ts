import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, ForbiddenError } from '../lib/errors.js';
import type { Principal, TenancyService } from '../tenancy/service.js';

/**
 * How a route is protected, set in its `config`:
 * - `none`: public (health, OpenAPI document);
 * - `account`: any valid token (the workspace list);
 * - `workspace`: a valid token of an account with access to the `:id` workspace.
 * Routes that change state are refused to viewers; `write` overrides the method-based guess.
 */
export type AuthMode = 'none' | 'account' | 'workspace';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
    write?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

export function registerAuth(app: FastifyInstance, tenancy: TenancyService): void {
  app.decorateRequest('principal', null as unknown as Principal);
  // onRequest runs before the body is read or validated: an unauthenticated caller learns
  // nothing about what a valid request would look like.
  app.addHook('onRequest', async (request) => {
    const mode = request.routeOptions.config?.auth ?? 'none';
    if (mode === 'none') return;
    const token = bearer(request);
    if (mode === 'account') {
      request.principal = await tenancy.authenticate(token);
    } else {
      const workspaceId = (request.params as { id?: string }).id ?? '';
      request.principal = await tenancy.authorizeWorkspace(token, workspaceId);
      const header = request.headers['x-workspace-id'];
      if (header !== undefined && header !== workspaceId) {
        throw new BadRequestError('the X-Workspace-ID header must equal the workspace id in the path', [
          { field: 'X-Workspace-ID', message: 'must equal the workspace id in the path' },
        ]);
      }
    }
    const write = request.routeOptions.config?.write ?? !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
    if (write && request.principal.role === 'viewer') {
      throw new ForbiddenError('viewers have read-only access; ask an admin for the member role');
    }
  });
}
