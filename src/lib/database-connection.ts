import Type from 'typebox';

/**
 * What PostgreSQL and MySQL connections (warehouse or loader) have in common: the same config
 * fields, and libpq's sslmode meanings, which every driver maps to its own TLS options.
 */
export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface DatabaseConnection {
  host: string;
  port: number;
  database: string;
  username: string;
  password?: string;
  sslmode: SslMode;
  ssl_root_cert?: string;
}

export interface TlsPolicy {
  /** Try TLS at all. */
  encrypt: boolean;
  /** Fall back to plain TCP when the server offers no TLS (`prefer`). */
  fallback: boolean;
  /** Check the certificate chain (against `ca` when given). */
  verifyChain: boolean;
  /** Check that the certificate names the host the user gave. */
  verifyHost: boolean;
  ca?: string;
}

export function tlsPolicy(c: Pick<DatabaseConnection, 'sslmode' | 'ssl_root_cert'>): TlsPolicy {
  const ca = c.ssl_root_cert ? { ca: c.ssl_root_cert } : {};
  switch (c.sslmode) {
    case 'disable':
      return { encrypt: false, fallback: false, verifyChain: false, verifyHost: false };
    case 'prefer':
      return { encrypt: true, fallback: true, verifyChain: false, verifyHost: false };
    case 'require':
      return { encrypt: true, fallback: false, verifyChain: false, verifyHost: false };
    case 'verify-ca':
      return { encrypt: true, fallback: false, verifyChain: true, verifyHost: false, ...ca };
    case 'verify-full':
      return { encrypt: true, fallback: false, verifyChain: true, verifyHost: true, ...ca };
  }
}

/** The config fields of a database connection, for a TypeBox object schema. */
export function connectionFields(opts: { port: number; database: string }) {
  return {
    host: Type.String({ minLength: 1, maxLength: 255, description: 'Host name or IP address' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: opts.port })),
    database: Type.String({ minLength: 1, maxLength: 255, description: opts.database }),
    username: Type.String({ minLength: 1, maxLength: 255, description: 'User name' }),
    password: Type.Optional(Type.String({ minLength: 1, writeOnly: true, format: 'password', description: 'Password' })),
    sslmode: Type.Optional(Type.Enum([...SSL_MODES], { default: 'prefer', description: "TLS mode, with libpq's sslmode meanings" })),
    ssl_root_cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate for verify-ca / verify-full' })),
  };
}
