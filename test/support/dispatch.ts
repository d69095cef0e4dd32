import type { DispatchPolicy } from '../../services/dispatch/core/gate.js';

/** The policy the dispatch tests decide under: the shipped defaults, with one webhook endpoint. */
export const dispatchPolicy: DispatchPolicy = {
  consent: { email: 'not-unsubscribed', sms: 'subscribed' },
  caps: { perDay: 2, perWeek: 5 },
  quietHours: { from: '21:00', to: '08:00' },
  defaultTimeZone: 'UTC',
  sms: {},
  webhooks: { 'call-centre': { url: 'https://crm.example.com/tasks' } },
};
