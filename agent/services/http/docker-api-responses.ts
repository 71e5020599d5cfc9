import { createHash } from 'node:crypto';

/** dockerd identity for a version string, consistent across /version, /info and the headers. */
export type DockerIdentity = Readonly<{
  version: string;
  apiVersion: string;
  minApiVersion: string;
  goVersion: string;
  gitCommit: string;
  buildTime: string;
  platformName: string;
  containerd: string;
  runc: string;
  kernel: string;
  hostname: string;
  os: string;
  id: string;
}>;

/** Engine major.minor → API version it serves (docs.docker.com/engine/api/#api-version-matrix). */
const apiByEngine: ReadonlyArray<readonly [string, string]> = [
  ['27.3', '1.47'],
  ['27.2', '1.47'],
  ['27.1', '1.46'],
  ['27.0', '1.46'],
  ['26.1', '1.45'],
  ['26.0', '1.45'],
  ['25.0', '1.44'],
  ['24.0', '1.43'],
  ['23.0', '1.42'],
  ['20.10', '1.41'],
  ['19.03', '1.40'],
];
const goByEngine: Readonly<Record<string, string>> = {
  '20': 'go1.19.8',
  '23': 'go1.19.9',
  '24': 'go1.20.10',
  '25': 'go1.21.8',
  '26': 'go1.21.10',
  '27': 'go1.22.7',
};

export function dockerIdentity(
  version: string,
  o: { kernel: string; hostname: string; os: string; seed: string },
): DockerIdentity {
  const mm = version.split('.').slice(0, 2).join('.');
  const major = Number.parseInt(version, 10) || 24;
  const api = apiByEngine.find(([e]) => e === mm)?.[1] ?? '1.43';
  // Distro builds (docker.io, moby-engine) report the package version and no "Docker Engine - Community".
  const distroBuild = /[+~-]/.test(version) || !/^\d+\.\d+\.\d+$/.test(version);
  const h = createHash('sha256').update(`${o.seed}/${version}`).digest('hex');
  const id = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => h.slice(i * 4, i * 4 + 4).toUpperCase()).join(':');
  return {
    version,
    apiVersion: api,
    minApiVersion: major >= 25 ? '1.24' : '1.12',
    goVersion: goByEngine[String(major)] ?? 'go1.20.10',
    gitCommit: distroBuild ? `${version}-1` : h.slice(0, 7),
    buildTime: major >= 23 ? '2024-03-19T14:33:14.000000000+00:00' : '2023-04-04T15:51:26.000000000+00:00',
    platformName: distroBuild ? '' : 'Docker Engine - Community',
    containerd: (major >= 25 ? '1.7.13' : '1.6.20') + (distroBuild ? '~ds1' : ''),
    runc: (major >= 25 ? '1.1.12' : '1.1.5') + (distroBuild ? '+ds1' : ''),
    kernel: o.kernel,
    hostname: o.hostname,
    os: o.os,
    id,
  };
}

export function dockerVersionBody(d: DockerIdentity): string {
  return (
    JSON.stringify({
      Platform: { Name: d.platformName },
      Components: [
        {
          Name: 'Engine',
          Version: d.version,
          Details: {
            ApiVersion: d.apiVersion,
            Arch: 'amd64',
            BuildTime: d.buildTime,
            Experimental: 'false',
            GitCommit: d.gitCommit,
            GoVersion: d.goVersion,
            KernelVersion: d.kernel,
            MinAPIVersion: d.minApiVersion,
            Os: 'linux',
          },
        },
        { Name: 'containerd', Version: d.containerd, Details: { GitCommit: '' } },
        { Name: 'runc', Version: d.runc, Details: { GitCommit: '' } },
        { Name: 'docker-init', Version: '0.19.0', Details: { GitCommit: '' } },
      ],
      Version: d.version,
      ApiVersion: d.apiVersion,
      MinAPIVersion: d.minApiVersion,
      GitCommit: d.gitCommit,
      GoVersion: d.goVersion,
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: d.kernel,
      BuildTime: d.buildTime,
    }) + '\n'
  );
}

export function dockerInfoBody(d: DockerIdentity): string {
  return (
    JSON.stringify({
      ID: d.id,
      Containers: 0,
      ContainersRunning: 0,
      ContainersPaused: 0,
      ContainersStopped: 0,
      Images: 3,
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
        ['Using metacopy', 'false'],
        ['Native Overlay Diff', 'true'],
        ['userxattr', 'false'],
      ],
      Plugins: {
        Volume: ['local'],
        Network: ['bridge', 'host', 'ipvlan', 'macvlan', 'null', 'overlay'],
        Authorization: null,
        Log: [
          'awslogs',
          'fluentd',
          'gcplogs',
          'gelf',
          'journald',
          'json-file',
          'local',
          'logentries',
          'splunk',
          'syslog',
        ],
      },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: true,
      BridgeNfIp6tables: true,
      Debug: false,
      NFd: 24,
      OomKillDisable: false,
      NGoroutines: 38,
      SystemTime: new Date().toISOString().replace('Z', '000000Z'),
      LoggingDriver: 'json-file',
      CgroupDriver: 'systemd',
      CgroupVersion: '2',
      NEventsListener: 0,
      KernelVersion: d.kernel,
      OperatingSystem: d.os,
      OSVersion: '',
      OSType: 'linux',
      Architecture: 'x86_64',
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: null,
        AllowNondistributableArtifactsHostnames: null,
        InsecureRegistryCIDRs: ['127.0.0.0/8'],
        IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
        Mirrors: null,
      },
      NCPU: 4,
      MemTotal: 8331182080,
      GenericResources: null,
      DockerRootDir: '/var/lib/docker',
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: d.hostname,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: d.version,
      Runtimes: { 'io.containerd.runc.v2': { path: 'runc' }, runc: { path: 'runc' } },
      DefaultRuntime: 'runc',
      Swarm: {
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      },
      LiveRestoreEnabled: false,
      Isolation: '',
      InitBinary: 'docker-init',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=apparmor', 'name=seccomp,profile=builtin', 'name=cgroupns'],
      Warnings: [
        "WARNING: API is accessible on http://0.0.0.0:2375 without encryption.\n         Access to the remote API is equivalent to root access on the host. Refer\n         to the 'Docker daemon attack surface' section in the documentation for\n         more information: https://docs.docker.com/go/attack-surface/",
      ],
    }) + '\n'
  );
}

/** What a `docker run` / exec body asks for, bounded: the fields an analyst reads first. */
export function summariseCreate(body: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body);
    if (!v || typeof v !== 'object') return {};
    const o = v as Record<string, unknown>;
    const host = (o.HostConfig && typeof o.HostConfig === 'object' ? o.HostConfig : {}) as Record<string, unknown>;
    const pick = (x: unknown) =>
      Array.isArray(x)
        ? x.slice(0, 64).map((s) => String(s).slice(0, 1024))
        : typeof x === 'string'
          ? [x.slice(0, 1024)]
          : undefined;
    return {
      ...(typeof o.Image === 'string' ? { image: o.Image.slice(0, 512) } : {}),
      ...(pick(o.Cmd) ? { cmd: pick(o.Cmd) } : {}),
      ...(pick(o.Entrypoint) ? { entrypoint: pick(o.Entrypoint) } : {}),
      ...(pick(o.Env) ? { env: pick(o.Env) } : {}),
      ...(pick(host.Binds) ? { binds: pick(host.Binds) } : {}),
      ...(host.Privileged === true ? { privileged: true } : {}),
      ...(typeof host.PidMode === 'string' && host.PidMode ? { pidMode: host.PidMode } : {}),
      ...(typeof host.NetworkMode === 'string' && host.NetworkMode ? { networkMode: host.NetworkMode } : {}),
    };
  } catch {
    return {};
  }
}
