export {
  createSwarmListener,
  SWARM_BODY_LIMIT,
  type SwarmHandlers,
  type SwarmListener,
  type SwarmListenerOptions,
} from './swarm-listener';
