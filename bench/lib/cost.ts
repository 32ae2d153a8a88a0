/**
 * What a million requests cost on Fargate at list price, from the CPU time the kit's server used
 * per request in the benchmark. Fargate bills a task's vCPU and memory by the second whatever they
 * do, so the cost of a request is the task's price per second divided by the requests a task serves
 * per second: its vCPUs times the utilisation it runs at, divided by the CPU seconds per request.
 */

/** Fargate list prices, Linux on x86, eu-west-1 and us-east-1 (USD), as the kit's README states them. */
export const FARGATE_LIST_PRICE = { vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 } as const;

export interface TaskSize {
  /** vCPUs of one task (the service's `cpu` units / 1024). */
  readonly vcpu: number;
  /** Memory of one task in GiB. */
  readonly memoryGb: number;
}

export interface CostEstimate {
  /** CPU seconds per request, measured. */
  readonly cpuSecondsPerRequest: number;
  /** Fraction of one core the server used during the measurement. */
  readonly utilisation: number;
  /** Requests one task serves per second at that utilisation of its vCPUs. */
  readonly requestsPerTaskSecond: number;
  readonly vcpuSecondsPerMillion: number;
  readonly gbSecondsPerMillion: number;
  readonly usdPerMillion: number;
}

/**
 * @param cpuMicros CPU time (user + system) the server used during the run, in microseconds.
 * @param wallSeconds duration of the run.
 * @param requests requests it answered in that time.
 */
export function fargateCost(cpuMicros: number, wallSeconds: number, requests: number, task: TaskSize, price = FARGATE_LIST_PRICE): CostEstimate {
  const cpuSecondsPerRequest = cpuMicros / 1e6 / Math.max(1, requests);
  // Node serves a request path on one thread: utilisation is of one core, never more than 1.
  const utilisation = Math.min(1, cpuMicros / 1e6 / wallSeconds);
  const requestsPerTaskSecond = (task.vcpu * utilisation) / cpuSecondsPerRequest;
  const taskSecondsPerMillion = 1e6 / requestsPerTaskSecond;
  const vcpuSecondsPerMillion = taskSecondsPerMillion * task.vcpu;
  const gbSecondsPerMillion = taskSecondsPerMillion * task.memoryGb;
  const usdPerMillion = (vcpuSecondsPerMillion * price.vcpuHourUsd + gbSecondsPerMillion * price.gbHourUsd) / 3600;
  return { cpuSecondsPerRequest, utilisation, requestsPerTaskSecond, vcpuSecondsPerMillion, gbSecondsPerMillion, usdPerMillion };
}
