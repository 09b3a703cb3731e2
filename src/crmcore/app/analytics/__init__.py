"""Analytics and reporting use cases (C11): attribution, funnel, cohorts, deals, SaaS."""
