/**
 * Domain errors. Services throw these; the HTTP layer turns them into
 * application/problem+json responses (src/http/problem.ts). Messages must never carry
 * a secret: they are shown to API clients as they are.
 */
export interface FieldError {
  /** Dotted path of the offending input, e.g. `config.account` or `limit`. */
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
}

export class NotFoundError extends DomainError {}
export class ConflictError extends DomainError {
  constructor(message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}
export class AuthenticationError extends DomainError {}
export class ForbiddenError extends DomainError {}
export class BadRequestError extends DomainError {
  constructor(message: string, readonly errors?: FieldError[]) {
    super(message);
  }
}
