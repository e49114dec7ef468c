import type { Params } from '../http/types.js';
import type { Column } from '../types.js';
import { columns } from './types.js';

/**
 * The Stripe objects Quarry loads. Columns follow Stripe's object reference
 * (https://docs.stripe.com/api): the top-level fields, nested objects as JSON, references as
 * ids. Fields an account's API version does not have (Stripe adds and moves fields between
 * versions) stay null.
 *
 * `updates` and `deletions` are the event types (https://docs.stripe.com/api/events/types)
 * whose `data.object` is the object after a change, or the object deleted. Creations are not
 * listed: an incremental read finds new objects on the list endpoint by `created`.
 */
export interface StripeStream {
  name: string;
  /** The list endpoint: `GET /v1/<name>`. */
  path: string;
  /** The `object` field of its records: an event carrying another kind of object is ignored. */
  object: string;
  columns: Column[];
  params?: Params;
  updates: string[];
  deletions: string[];
}

export const STREAMS: StripeStream[] = [
  {
    name: 'customers',
    path: '/v1/customers',
    object: 'customer',
    columns: columns(`id object address:json balance:int created:ts currency default_source delinquent:bool description discount:json email
      invoice_prefix invoice_settings:json livemode:bool metadata:json name next_invoice_sequence:int phone preferred_locales:json shipping:json
      tax_exempt test_clock`),
    // subresource events (customer.source.*, customer.discount.*, customer.subscription.*) carry other objects
    updates: ['customer.updated'],
    deletions: ['customer.deleted'],
  },
  {
    name: 'charges',
    path: '/v1/charges',
    object: 'charge',
    columns: columns(`id object amount:int amount_captured:int amount_refunded:int application application_fee application_fee_amount:int
      balance_transaction billing_details:json calculated_statement_descriptor captured:bool created:ts currency customer description
      disputed:bool failure_balance_transaction failure_code failure_message fraud_details:json invoice livemode:bool metadata:json
      on_behalf_of outcome:json paid:bool payment_intent payment_method payment_method_details:json receipt_email receipt_number
      receipt_url refunded:bool review shipping:json statement_descriptor statement_descriptor_suffix status transfer_data:json
      transfer_group`),
    // charge.dispute.* carry disputes and charge.refund.updated a refund: not listed here
    updates: ['charge.captured', 'charge.expired', 'charge.failed', 'charge.pending', 'charge.refunded', 'charge.succeeded', 'charge.updated'],
    deletions: [],
  },
  {
    name: 'invoices',
    path: '/v1/invoices',
    object: 'invoice',
    columns: columns(`id object account_country account_name amount_due:int amount_paid:int amount_remaining:int amount_shipping:int
      application attempt_count:int attempted:bool auto_advance:bool automatic_tax:json billing_reason collection_method created:ts
      currency customer customer_email customer_name default_payment_method description discounts:json due_date:ts effective_at:ts
      ending_balance:int footer hosted_invoice_url invoice_pdf lines:json livemode:bool metadata:json next_payment_attempt:ts number
      parent:json period_end:ts period_start:ts starting_balance:int status status_transitions:json subscription subtotal:int total:int
      webhooks_delivered_at:ts`),
    // invoice.upcoming carries a preview without an id; invoice.deleted is a deleted draft
    updates: [
      'invoice.finalization_failed',
      'invoice.finalized',
      'invoice.marked_uncollectible',
      'invoice.paid',
      'invoice.payment_action_required',
      'invoice.payment_failed',
      'invoice.payment_succeeded',
      'invoice.sent',
      'invoice.updated',
      'invoice.voided',
    ],
    deletions: ['invoice.deleted'],
  },
  {
    name: 'subscriptions',
    path: '/v1/subscriptions',
    object: 'subscription',
    columns: columns(`id object application application_fee_percent:num automatic_tax:json billing_cycle_anchor:ts cancel_at:ts
      cancel_at_period_end:bool canceled_at:ts cancellation_details:json collection_method created:ts currency current_period_end:ts
      current_period_start:ts customer days_until_due:int default_payment_method default_source description discounts:json ended_at:ts
      items:json latest_invoice livemode:bool metadata:json pause_collection:json pending_update:json schedule start_date:ts status
      trial_end:ts trial_start:ts`),
    // the list leaves canceled subscriptions out unless asked for every status
    params: { status: 'all' },
    // customer.subscription.deleted is a subscription that ended: it still exists, status=canceled
    updates: [
      'customer.subscription.updated',
      'customer.subscription.deleted',
      'customer.subscription.paused',
      'customer.subscription.resumed',
      'customer.subscription.pending_update_applied',
      'customer.subscription.pending_update_expired',
      'customer.subscription.trial_will_end',
    ],
    deletions: [],
  },
  {
    name: 'payment_intents',
    path: '/v1/payment_intents',
    object: 'payment_intent',
    // not client_secret: it lets a browser confirm the payment, it has no place in a warehouse
    columns: columns(`id object amount:int amount_capturable:int amount_received:int application application_fee_amount:int
      automatic_payment_methods:json canceled_at:ts cancellation_reason capture_method confirmation_method created:ts currency customer
      description last_payment_error:json latest_charge livemode:bool metadata:json on_behalf_of payment_method payment_method_types:json
      processing:json receipt_email review setup_future_usage shipping:json statement_descriptor statement_descriptor_suffix status
      transfer_data:json transfer_group`),
    updates: [
      'payment_intent.amount_capturable_updated',
      'payment_intent.canceled',
      'payment_intent.partially_funded',
      'payment_intent.payment_failed',
      'payment_intent.processing',
      'payment_intent.requires_action',
      'payment_intent.succeeded',
    ],
    deletions: [],
  },
  {
    name: 'products',
    path: '/v1/products',
    object: 'product',
    columns: columns(`id object active:bool created:ts default_price description images:json livemode:bool marketing_features:json
      metadata:json name package_dimensions:json shippable:bool statement_descriptor tax_code type unit_label updated:ts url`),
    updates: ['product.updated'],
    deletions: ['product.deleted'],
  },
  {
    name: 'prices',
    path: '/v1/prices',
    object: 'price',
    columns: columns(`id object active:bool billing_scheme created:ts currency custom_unit_amount:json livemode:bool lookup_key
      metadata:json nickname product recurring:json tax_behavior tiers_mode transform_quantity:json type unit_amount:int
      unit_amount_decimal`),
    updates: ['price.updated'],
    deletions: ['price.deleted'],
  },
  {
    name: 'refunds',
    path: '/v1/refunds',
    object: 'refund',
    columns: columns(`id object amount:int balance_transaction charge created:ts currency description destination_details:json
      failure_balance_transaction failure_reason metadata:json payment_intent reason receipt_number source_transfer_reversal status
      transfer_reversal`),
    updates: ['refund.updated', 'refund.failed', 'charge.refund.updated'],
    deletions: [],
  },
  {
    name: 'balance_transactions',
    path: '/v1/balance_transactions',
    object: 'balance_transaction',
    columns: columns(`id object amount:int available_on:ts balance_type created:ts currency description exchange_rate:num fee:int
      fee_details:json net:int reporting_category source status type`),
    // No event carries a balance transaction: an incremental read adds new ones only, and a
    // pending one becoming available (status) is seen by a full refresh.
    updates: [],
    deletions: [],
  },
];
