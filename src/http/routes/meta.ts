import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Db } from '../../store/db.js';

export function metaRoutes(app: FastifyInstance, db: Db): void {
  app.get(
    '/healthz',
    { schema: { tags: ['Meta'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.String() }) } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['Meta'],
        summary: 'Readiness: the metadata store answers',
        response: { 200: Type.Object({ status: Type.String() }), 503: Type.Object({ status: Type.String() }) },
      },
    },
    async (_request, reply) => {
      try {
        await db.query('SELECT 1');
        return { status: 'ok' };
      } catch {
        return reply.code(503).send({ status: 'metadata store unavailable' });
      }
    },
  );
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
