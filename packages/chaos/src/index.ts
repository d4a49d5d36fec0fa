export { runCrashRecovery, type StackLauncher } from './crash.js';
export {
  ChaosError,
  type ChaosErrorCode,
  InjectedFaultError,
  SearchNodeRestartError,
  StackStartError,
  UnexpectedOutcomeError,
} from './errors.js';
export { FaultKind, faultKinds } from './faults.js';
export { formatChaosReport, formatCrashRecoveryReport } from './format.js';
export { mulberry32, zipfSampler } from './random.js';
export { runChaos } from './run.js';
