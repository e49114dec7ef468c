import type { ConnectorDefinition } from './types.js';
import { postgresql } from './postgresql/definition.js';
import { mysql } from './mysql/definition.js';
import { restApi } from './rest_api/definition.js';
import { stripe } from './stripe/definition.js';
import { mailchimp } from './mailchimp/definition.js';
import { hubspot } from './hubspot/definition.js';
import { klaviyo } from './klaviyo/definition.js';
import { shopify } from './shopify/definition.js';

/** The one list of loader types. */
export const connectors: readonly ConnectorDefinition[] = [postgresql, mysql, restApi, stripe, mailchimp, hubspot, klaviyo, shopify];

const byType = new Map(connectors.map((c) => [c.type, c]));

export function findConnector(type: string): ConnectorDefinition | undefined {
  return byType.get(type);
}
