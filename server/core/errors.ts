// Typed errors. Services throw these; the HTTP error middleware and the socket
// dispatcher map them to status codes and acks. `code` is also the i18n key.

export interface FieldProblem {
  field: string;
  code: string;
  params?: Record<string, unknown>;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  readonly code: string;
  readonly params: Record<string, unknown>;
  constructor(code: string, params: Record<string, unknown> = {}) {
    super(code);
    this.name = new.target.name;
    this.code = code;
    this.params = params;
  }
}

export class Invalid extends AppError {
  readonly status = 400;
  readonly fields: FieldProblem[];
  constructor(code = 'errors.invalid', fields: FieldProblem[] = [], params = {}) {
    super(code, params);
    this.fields = fields;
  }
}

export class Unauthenticated extends AppError {
  readonly status = 401;
  constructor(code = 'errors.unauthenticated', params = {}) {
    super(code, params);
  }
}

export class Forbidden extends AppError {
  readonly status = 403;
  constructor(code = 'errors.forbidden', params = {}) {
    super(code, params);
  }
}

export class NotFound extends AppError {
  readonly status = 404;
  constructor(code = 'errors.notFound', params = {}) {
    super(code, params);
  }
}

export class Conflict extends AppError {
  readonly status = 409;
  constructor(code = 'errors.conflict', params = {}) {
    super(code, params);
  }
}

export class SoldOut extends AppError {
  readonly status = 409;
  constructor(code = 'errors.soldOut', params = {}) {
    super(code, params);
  }
}

export class PayloadTooLarge extends AppError {
  readonly status = 413;
  constructor(code = 'errors.payloadTooLarge', params = {}) {
    super(code, params);
  }
}

export class TooManyRequests extends AppError {
  readonly status = 429;
  constructor(code = 'errors.tooManyRequests', params = {}) {
    super(code, params);
  }
}

export class Unavailable extends AppError {
  readonly status = 503;
  constructor(code = 'errors.unavailable', params = {}) {
    super(code, params);
  }
}

/** Something failed that the person asking could not have caused: logged, answered 500. */
export class Internal extends AppError {
  readonly status = 500;
  constructor(code = 'errors.internal', params = {}) {
    super(code, params);
  }
}

/**
 * A missing prerequisite at start-up (no Go toolchain, a port taken, an unwritable folder).
 * Entry points print its message as one line and exit; never a stack trace.
 */
export class PrerequisiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrerequisiteError';
  }
}
