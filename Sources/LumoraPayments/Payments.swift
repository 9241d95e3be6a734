// The Stripe client and webhook signatures live in Stripe/.
