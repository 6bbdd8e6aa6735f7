/**
 * On-demand list prices in USD the cost estimate uses (the seeds' figures; us-east-1 /
 * eu-central-1 list prices differ by a few percent). An estimate, not a bill.
 */
export const PRICES = {
  eksClusterPerHour: 0.1,
  natGatewayPerHour: 0.045,
  nlbPerHour: 0.025,
  ebsGp3PerGbMonth: 0.08,
  hoursPerMonth: 730,
  instancePerHour: {
    'm6i.large': 0.096,
    'm6i.xlarge': 0.192,
    'm6i.2xlarge': 0.384,
    'm6i.4xlarge': 0.768,
    'm5.large': 0.096,
    'm5.xlarge': 0.192,
    'm5.2xlarge': 0.384,
    't3.medium': 0.0416,
    't3.large': 0.0832,
    't3.xlarge': 0.1664,
    'c6i.2xlarge': 0.34,
    'r6i.2xlarge': 0.504,
  } as Record<string, number>,
} as const;
