import Type from 'typebox';

/** Building blocks shared by the warehouse config schemas. */
export const secret = (description: string) => Type.String({ minLength: 1, writeOnly: true, format: 'password', description });
export const name = (description: string, extra: Record<string, unknown> = {}) => Type.String({ minLength: 1, maxLength: 255, description, ...extra });
export const endpointOverride = (description: string) =>
  Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description }));
