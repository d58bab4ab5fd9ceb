import { AppError } from '../../../shared/errors';

/** An error as screens show it: the code (when main sent one) and the message naming the fix. */
export interface UiError {
  code: string | null;
  message: string;
}

export function toUiError(error: unknown): UiError {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: null, message: error.message };
  return { code: null, message: String(error) };
}
