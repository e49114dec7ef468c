import type { Column, LogicalType } from '../types.js';

/**
 * Columns of the Admin REST API objects (Order, Customer, Product, Location, InventoryLevel,
 * InventoryItem), as the reference documents them: ids are integers, money amounts are decimal
 * strings, timestamps ISO 8601 with the shop's offset, nested objects and lists JSON.
 */
const c = (name: string, type: LogicalType, nullable = true): Column => ({ name, type, nullable });
const id = (name = 'id') => c(name, 'integer', false);
// money arrives as strings such as "199.00"; 4 decimals cover every currency's minor unit
const money = (name: string): Column => ({ name, type: 'decimal', precision: 20, scale: 4, nullable: true, sourceType: 'money string' });
const ts = (name: string) => c(name, 'timestamptz');
const str = (...names: string[]) => names.map((n) => c(n, 'string'));
const json = (...names: string[]) => names.map((n) => c(n, 'json'));

export const orderColumns: Column[] = [
  id(),
  ...str('admin_graphql_api_id', 'name'),
  c('order_number', 'integer'),
  c('number', 'integer'),
  ...str('email', 'contact_email', 'phone'),
  ts('created_at'),
  ts('updated_at'),
  ts('processed_at'),
  ts('closed_at'),
  ts('cancelled_at'),
  ...str('cancel_reason', 'financial_status', 'fulfillment_status'),
  c('confirmed', 'boolean'),
  c('test', 'boolean'),
  ...str('currency', 'presentment_currency'),
  money('total_price'),
  money('subtotal_price'),
  money('total_tax'),
  money('total_discounts'),
  money('total_line_items_price'),
  money('total_outstanding'),
  money('current_total_price'),
  c('total_weight', 'integer'),
  c('taxes_included', 'boolean'),
  c('buyer_accepts_marketing', 'boolean'),
  ...str('tags', 'note', 'source_name', 'browser_ip', 'token', 'order_status_url'),
  c('location_id', 'integer'),
  c('user_id', 'integer'),
  c('app_id', 'integer'),
  ...json(
    'customer',
    'line_items',
    'billing_address',
    'shipping_address',
    'shipping_lines',
    'tax_lines',
    'discount_codes',
    'discount_applications',
    'refunds',
    'fulfillments',
    'note_attributes',
    'payment_gateway_names',
    'total_price_set',
  ),
];

export const customerColumns: Column[] = [
  id(),
  ...str('admin_graphql_api_id', 'email', 'first_name', 'last_name', 'phone', 'state'),
  c('verified_email', 'boolean'),
  c('tax_exempt', 'boolean'),
  ...str('tags', 'currency', 'note', 'multipass_identifier'),
  c('last_order_id', 'integer'),
  ...str('last_order_name'),
  ts('created_at'),
  ts('updated_at'),
  ...json('tax_exemptions', 'email_marketing_consent', 'sms_marketing_consent', 'addresses', 'default_address'),
];

export const productColumns: Column[] = [
  id(),
  ...str('admin_graphql_api_id', 'title', 'body_html', 'vendor', 'product_type', 'handle', 'status', 'tags', 'template_suffix', 'published_scope'),
  ts('published_at'),
  ts('created_at'),
  ts('updated_at'),
  ...json('variants', 'options', 'images', 'image'),
];

export const locationColumns: Column[] = [
  id(),
  ...str('admin_graphql_api_id', 'name', 'address1', 'address2', 'city', 'zip', 'province', 'province_code', 'country', 'country_code', 'country_name', 'phone'),
  ...str('localized_country_name', 'localized_province_name'),
  c('active', 'boolean'),
  c('legacy', 'boolean'),
  ts('created_at'),
  ts('updated_at'),
];

export const inventoryLevelColumns: Column[] = [id('inventory_item_id'), id('location_id'), c('available', 'integer'), ts('updated_at'), ...str('admin_graphql_api_id')];

export const inventoryItemColumns: Column[] = [
  id(),
  ...str('admin_graphql_api_id', 'sku'),
  money('cost'),
  c('tracked', 'boolean'),
  c('requires_shipping', 'boolean'),
  ...str('country_code_of_origin', 'province_code_of_origin', 'harmonized_system_code'),
  ...json('country_harmonized_system_codes'),
  ts('created_at'),
  ts('updated_at'),
];
