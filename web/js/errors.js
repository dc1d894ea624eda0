// Readable texts for WebSocket errors (the REST ones are in api.js): the stable code's
// translation when there is one, else the server's sentence.
import { t, has } from './i18n.js';

export function readableSignalError(error) {
  const code = error?.code;
  if (code && has(`error.${code}`)) return t(`error.${code}`);
  if (error?.message && !/^[[{]/.test(error.message.trim())) return t('error.server_said', { message: error.message });
  return t('error.unexpected');
}
