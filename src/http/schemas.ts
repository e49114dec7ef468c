import Type from 'typebox';

/** Schema pieces shared by route modules. */
export const Uuid = Type.String({ format: 'uuid' });
/** Dates go out as ISO 8601 strings (the serializer formats Date values). */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const DisplayName = Type.String({ maxLength: 255, pattern: '\\S', description: 'a name that is not blank (up to 255 characters)' });
export const AnyObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });
export const objectWith = (description: string) => Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, description });

export const WorkspaceParams = Type.Object({ id: Type.String({ description: 'Workspace ID' }) });

/** Error responses every authenticated route can give, for the OpenAPI document. */
export const problemResponses = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [c, { description: 'Problem details (RFC 9457)', content: { 'application/problem+json': { schema: Type.Ref('Problem') } } }]),
  );

/** A string with a fixed set of values, typed as their union. */
export const stringEnum = <T extends string>(values: readonly T[], options: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
