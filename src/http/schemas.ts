import Type from 'typebox';

/** Schema pieces shared by route modules. */
export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time' });
export const DisplayName = Type.String({ maxLength: 255, pattern: '\\S', description: 'a name that is not blank (up to 255 characters)' });
export const AnyObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });
export const objectWith = (description: string) => Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, description });

export const WorkspaceParams = Type.Object({ id: Type.String({ description: 'Workspace ID' }) });

/** Error responses every authenticated route can give, for the OpenAPI document. */
export const problemResponses = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [c, { description: 'Problem details (RFC 9457)', content: { 'application/problem+json': { schema: Type.Ref('Problem') } } }]),
  );
